package apibreak_test

import (
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/mergetest"
)

func TestPass(t *testing.T) {
	tests := []struct {
		dir  string
		also map[string][]finding.Pos // by symbol: the finding's other positions, in file order
	}{
		{dir: "testdata/src/a"},
		// A method gaining a parameter is one finding at its first call
		// site, naming the other three (in two files) in Also.
		{dir: "testdata/src/b", also: map[string][]finding.Pos{
			"upstream/vm.(*Vm).Start": {
				{File: "overlay/ex/start.go", Line: 11},
				{File: "overlay/ex/start.go", Line: 16},
				{File: "overlay/ex/start.go", Line: 17},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			rep := mergetest.Run(t, tt.dir)
			for _, f := range rep.Conflicts {
				if want := tt.also[f.Symbol]; !slices.Equal(f.Also, want) {
					t.Errorf("%s: also %v, want %v", f.Symbol, f.Also, want)
				}
			}
		})
	}
}
