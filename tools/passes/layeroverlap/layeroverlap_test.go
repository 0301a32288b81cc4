package layeroverlap

import (
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/stockxml"
)

func TestRun(t *testing.T) {
	stock := func(bus string) stockxml.Corpus {
		return stockxml.Corpus{"a": {XML: `<domain><devices><input type="tablet" bus="` + bus + `"/><memballoon model="virtio"/></devices></domain>`}}
	}
	tests := []struct {
		name string
		run  stockxml.LayerRun
		new  stockxml.Corpus
		want string // message fragment, "" for no finding
	}{
		{"stock changes where the entry changed", stockxml.LayerRun{Name: "e", Changed: map[string][]string{"a": {"/domain/devices/input/@bus"}}}, stock("ps2"), "(/domain/devices/input/@bus: corpus a)"},
		{"stock changes elsewhere", stockxml.LayerRun{Name: "e", Changed: map[string][]string{"a": {"/domain/devices/memballoon/@autodeflate"}}}, stock("ps2"), ""},
		{"entry changed nothing: its declared writes", stockxml.LayerRun{Name: "e", Writes: []string{"/domain/devices/input/@bus"}}, stock("ps2"), "(/domain/devices/input/@bus: corpus a)"},
		{"stock unchanged", stockxml.LayerRun{Name: "e", Changed: map[string][]string{"a": {"/domain/devices/input/@bus"}}}, stock("usb"), ""},
	}
	for _, tt := range tests {
		in := &pass.Input{
			OldLayers: &stockxml.LayerRender{Stock: stock("usb"), Runs: []stockxml.LayerRun{tt.run}},
			NewLayers: &stockxml.LayerRender{Stock: tt.new, Runs: []stockxml.LayerRun{tt.run}},
		}
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
		if len(fs) != 1 || !strings.Contains(fs[0].Message, tt.want) {
			t.Errorf("%s: got %+v, want one finding with %q", tt.name, fs, tt.want)
		}
	}
}
