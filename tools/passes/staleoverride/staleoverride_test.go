package staleoverride

import (
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/stockxml"
)

func TestRun(t *testing.T) {
	goLayers := []stockxml.GoLayer{
		{Name: "machine", Writes: []string{"/domain/os"}},
		{Name: "disk-tuning", Overrides: []string{"machine"}, Writes: []string{"/domain/os/loader", "/domain/devices/disk/driver/@io"}},
	}
	entry := func(overrides string, changed []string, writes ...string) stockxml.LayerRun {
		r := stockxml.LayerRun{File: "agent.yaml", Line: 3, Name: "e", Overrides: []string{overrides}, Writes: writes}
		if changed != nil {
			r.Changed = map[string][]string{"a": changed}
		}
		return r
	}
	tests := []struct {
		name string
		runs []stockxml.LayerRun
		want string // message fragment, "" for no finding
	}{
		{"go layers only, overlapping", nil, ""},
		{"entry changes a path the overridden layer writes", []stockxml.LayerRun{entry("disk-tuning", []string{"/domain/devices/disk/driver/@io"})}, ""},
		{"entry changes another path", []stockxml.LayerRun{entry("disk-tuning", []string{"/domain/devices/memballoon/@autodeflate"}, "/domain/devices/disk/driver/@io")}, "which no longer writes any path e writes"},
		{"entry changed nothing: its declared writes", []stockxml.LayerRun{entry("disk-tuning", nil, "/domain/devices/disk/driver/@io")}, ""},
		{"names no layer", []stockxml.LayerRun{entry("disk-tunning", nil, "/domain/devices/disk/driver/@io")}, "which names no layer"},
	}
	for _, tt := range tests {
		in := &pass.Input{NewLayers: &stockxml.LayerRender{Go: goLayers, Runs: tt.runs}}
		fs, err := run(in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.want == "" {
			if len(fs) != 0 {
				t.Errorf("%s: got %v, want nothing", tt.name, fs)
			}
			continue
		}
		if len(fs) != 1 || !strings.Contains(fs[0].Message, tt.want) || fs[0].Overlay.String() != "agent.yaml:3" {
			t.Errorf("%s: got %+v, want one finding at agent.yaml:3 with %q", tt.name, fs, tt.want)
		}
	}
	// A Go layer overriding one that shares none of its paths.
	in := &pass.Input{NewLayers: &stockxml.LayerRender{Go: []stockxml.GoLayer{
		{Name: "machine", Writes: []string{"/domain/os"}},
		{Name: "rng", Overrides: []string{"machine"}, Writes: []string{"/domain/devices/rng"}},
	}}}
	fs, err := run(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Symbol != "rng overrides machine" {
		t.Errorf("go layers: got %+v, want rng overrides machine", fs)
	}
}
