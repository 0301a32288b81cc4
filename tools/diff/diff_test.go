package diff_test

import (
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
)

// Releases that change only what the overlay does not touch give no
// conflict; what changed is listed as info.
func TestUnrelatedChanges(t *testing.T) {
	tests := []struct {
		dir      string
		wantInfo []string // "class symbol" of every info entry
	}{
		{"testdata/src/unrelated", []string{
			"api upstream/vmplugin.NewHelper",
			"body upstream/vmplugin.Register",
			"body upstream/vmplugin.Unused",
			"route /volume/resize",
			"setting tasks.workers",
		}},
		{"testdata/src/version-only", nil},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			rep := mergetest.Run(t, tt.dir)
			var got []string
			for _, f := range rep.Info {
				got = append(got, f.Class+" "+f.Symbol)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.wantInfo) {
				t.Errorf("info = %q, want %q", got, tt.wantInfo)
			}
		})
	}
}
