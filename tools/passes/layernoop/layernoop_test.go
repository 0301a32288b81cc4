package layernoop

import (
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/stockxml"
)

func TestRun(t *testing.T) {
	changed := map[string][]string{"a": {"/domain/devices/memballoon/@autodeflate"}}
	mk := func(c map[string][]string) stockxml.LayerRun {
		return stockxml.LayerRun{File: "agent.yaml", Line: 7, Name: "e", Changed: c}
	}
	tests := []struct {
		name     string
		old, new []stockxml.LayerRun
		want     string // message prefix, "" for no finding
	}{
		{"became a no-op", []stockxml.LayerRun{mk(changed)}, []stockxml.LayerRun{mk(nil)}, "declarative layer e changed /domain/devices/memballoon/@autodeflate in corpus a under the old release"},
		{"still changes", []stockxml.LayerRun{mk(changed)}, []stockxml.LayerRun{mk(changed)}, ""},
		{"never changed", []stockxml.LayerRun{mk(nil)}, []stockxml.LayerRun{mk(nil)}, ""},
		{"gone from the new side", []stockxml.LayerRun{mk(changed)}, nil, ""},
	}
	for _, tt := range tests {
		in := &pass.Input{OldLayers: &stockxml.LayerRender{Runs: tt.old}, NewLayers: &stockxml.LayerRender{Runs: tt.new}}
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
		if len(fs) != 1 || !strings.HasPrefix(fs[0].Message, tt.want) || fs[0].Overlay.String() != "agent.yaml:7" {
			t.Errorf("%s: got %+v, want one finding at agent.yaml:7: %s...", tt.name, fs, tt.want)
		}
	}
}
