package stockxml

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func TestRenderLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the harness")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	lr, err := RenderLayers(context.Background(), root, filepath.Join(root, "upstream/vmplugin/testdata"), []string{"testdata/agent.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Stock) == 0 {
		t.Fatal("no stock case rendered")
	}
	// The cdrom entry changes every case with a cdrom; the floppy one
	// selects nothing the corpus has.
	tests := []struct {
		name    string
		changed bool
		line    int
	}{{"cdrom-readonly", true, 4}, {"no-such-device", false, 12}}
	for _, tt := range tests {
		r := lr.Runs.Find("testdata/agent.yaml", tt.name)
		if r == nil {
			t.Fatalf("%s: no run", tt.name)
		}
		if r.Line != tt.line {
			t.Errorf("%s: line %d, want %d", tt.name, r.Line, tt.line)
		}
		if got := len(r.Changed) > 0; got != tt.changed {
			t.Errorf("%s: changed %v, want %v (%v)", tt.name, got, tt.changed, r.Changed)
		}
		for c, ps := range r.Changed {
			for _, p := range ps {
				if !Covers("/domain/devices/disk/driver", p) {
					t.Errorf("%s case %s: changed %s, outside what it writes", tt.name, c, p)
				}
			}
		}
	}
}

func TestChangedPaths(t *testing.T) {
	tests := []struct {
		name          string
		before, after string
		want          []string
	}{
		{"attribute", `<domain><a x="1"/></domain>`, `<domain><a x="2"/></domain>`, []string{"/domain/a/@x"}},
		{"added element hides its attributes", `<domain/>`, `<domain><a x="1"><b/></a></domain>`, []string{"/domain/a"}},
		{"same", `<domain><a x="1"/></domain>`, `<domain><a  x="1"></a></domain>`, nil},
	}
	for _, tt := range tests {
		got, err := ChangedPaths(tt.before, tt.after)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
