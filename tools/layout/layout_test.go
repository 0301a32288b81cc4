package layout_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/layout"
)

func repoLayout(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", layout.File))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRepository: the repository's own strata.yaml is valid and says what
// the tree holds (each folder it names exists).
func TestRepository(t *testing.T) {
	root := filepath.Join("..", "..")
	l, err := layout.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	dirs := append([]string{l.Upstream.Dir, l.Lock.Dir}, l.Overlay...)
	dirs = append(dirs, l.Stock.Corpus...)
	dirs = append(dirs, l.Goldens.Dirs...)
	for _, d := range dirs {
		if st, err := os.Stat(layout.Abs(root, d)); err != nil || !st.IsDir() {
			t.Errorf("strata.yaml names %s, which is no folder of the tree (%v)", d, err)
		}
	}
	for _, f := range []string{l.Lock.File, filepath.Join(l.Upstream.Dir, l.Upstream.Provenance)} {
		if _, err := os.Stat(layout.Abs(root, f)); err != nil {
			t.Errorf("strata.yaml names %s: %v", f, err)
		}
	}
}

// TestErrors: a layout the tool cannot trust is an error naming the key.
func TestErrors(t *testing.T) {
	good := string(repoLayout(t))
	for _, tc := range []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"unknown top-level key", func(s string) string { return s + "\nvendor: x\n" }, []string{"field vendor not found"}},
		{"unknown nested key", func(s string) string {
			return strings.Replace(s, "  provenance: UPSTREAM\n", "  provenance: UPSTREAM\n  tag: v1\n", 1)
		}, []string{"field tag not found"}},
		{"missing upstream dir", func(s string) string { return strings.Replace(s, "  dir: upstream\n", "", 1) }, []string{"upstream.dir is required"}},
		{"missing routes type", func(s string) string {
			return strings.Replace(s, "    type: upstream/kvmagent.Server\n", "", 1)
		}, []string{"composition.routes.type is required"}},
		{"missing overlay list", func(s string) string {
			return strings.Replace(s, "overlay:\n  - overlay\n  - linux2\n  - cmd/strata-agent\n", "", 1)
		}, []string{"overlay is required"}},
		{"unqualified type", func(s string) string {
			return strings.Replace(s, "settings: upstream/agent.Setting", "settings: Setting", 1)
		}, []string{`composition.settings: "Setting" is not package.Name`}},
		{"path outside the tree", func(s string) string {
			return strings.Replace(s, "  file: overlay/strata.lock", "  file: ../strata.lock", 1)
		}, []string{`lock.file: "../strata.lock" is not a clean path`}},
		{"overlay inside upstream", func(s string) string {
			return strings.Replace(s, "  - linux2\n", "  - upstream/linux\n", 1)
		}, []string{`overlay[1]: "upstream/linux" overlaps upstream.dir`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.edit(good)
			if src == good {
				t.Fatal("the edit changed nothing: the repository's strata.yaml moved")
			}
			_, err := layout.Parse([]byte(src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestMissingFile: no strata.yaml is an error naming the file, never a
// default project.
func TestMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, err := layout.Load(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, layout.File)) {
		t.Fatalf("Load of a tree without %s: %v", layout.File, err)
	}
}

func TestSymbols(t *testing.T) {
	l, err := layout.Parse(repoLayout(t))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(l.EntrySymbols(), " ")
	want := "upstream/vmplugin.(*StartVmCmd).ValidateFor upstream/vmplugin.(*StartVmCmd).Validate upstream/vmplugin.(*VmPlugin).FromValidatedStartVmCmd upstream/vmplugin.Build"
	if got != want {
		t.Errorf("entries %s, want %s", got, want)
	}
	for _, tc := range []struct {
		rel      string
		up, over bool
	}{
		{"upstream", true, false},
		{"upstream/vmplugin.Build", true, false},
		{"upstreamx/a", false, false},
		{"linux2/qemu", false, true},
		{"cmd/strata-agent", false, true},
		{"cmd/kvmagent", false, false},
	} {
		if l.IsUpstream(tc.rel) != tc.up || l.IsOverlay(tc.rel) != tc.over {
			t.Errorf("%s: upstream %v overlay %v, want %v %v", tc.rel, l.IsUpstream(tc.rel), l.IsOverlay(tc.rel), tc.up, tc.over)
		}
	}
}
