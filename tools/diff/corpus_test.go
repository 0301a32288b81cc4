package diff

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/stockxml"
)

// The stock corpus both releases render: the old release's cases as they
// are, plus the cases only the new release has (with their .config.json).
func TestUnionCorpus(t *testing.T) {
	tests := []struct {
		name     string
		old, new map[string]string // file name -> content
		want     map[string]string
	}{
		{
			name: "same cases: the old commands",
			old:  map[string]string{"a.json": "old a", "a.config.json": "old cfg"},
			new:  map[string]string{"a.json": "new a", "a.config.json": "new cfg"},
			want: map[string]string{"a.json": "old a", "a.config.json": "old cfg"},
		},
		{
			name: "a case only the new release has joins, with its config",
			old:  map[string]string{"a.json": "a"},
			new:  map[string]string{"a.json": "a2", "n.json": "n", "n.config.json": "n cfg"},
			want: map[string]string{"a.json": "a", "n.json": "n", "n.config.json": "n cfg"},
		},
		{
			name: "a case the new release dropped stays",
			old:  map[string]string{"a.json": "a", "gone.json": "g"},
			new:  map[string]string{"a.json": "a"},
			want: map[string]string{"a.json": "a", "gone.json": "g"},
		},
		{
			name: "a config the new release adds to an old case is not taken",
			old:  map[string]string{"a.json": "a"},
			new:  map[string]string{"a.json": "a", "a.config.json": "cfg"},
			want: map[string]string{"a.json": "a"},
		},
		{
			name: "golden XML is not a command",
			old:  map[string]string{"a.json": "a", "a.xml": "<domain/>"},
			new:  map[string]string{"b.xml": "<domain/>"},
			want: map[string]string{"a.json": "a"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := func(files map[string]string) string {
				root := t.TempDir()
				if err := release.CopyTree(filepath.Join("..", "..", layout.File), filepath.Join(root, layout.File)); err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join(root, "upstream", "vmplugin", "testdata")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for n, c := range files {
					if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return root
			}
			got, err := stockxml.UnionCorpus(tree(tc.old), tree(tc.new))
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(got)
			entries, err := os.ReadDir(got)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(got, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if want, ok := tc.want[e.Name()]; !ok || want != string(b) {
					t.Errorf("%s = %q, want %q (listed: %v)", e.Name(), b, want, ok)
				}
				names = append(names, e.Name())
			}
			for n := range tc.want {
				if !slices.Contains(names, n) {
					t.Errorf("%s missing from the union", n)
				}
			}
		})
	}
}
