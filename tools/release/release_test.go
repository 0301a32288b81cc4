package release_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/release"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// A git ref's upstream/ extracts to the same tree as the checked-out one
// (tools/ never changes upstream/).
func TestExtractRef(t *testing.T) {
	root := repoRoot(t)
	dst := filepath.Join(t.TempDir(), "upstream")
	if err := release.Extract(root, "HEAD", dst); err != nil {
		t.Skipf("no git history here: %v", err)
	}
	a, err := release.Upstream{Dir: dst, File: "UPSTREAM"}.TreeHash()
	if err != nil {
		t.Fatal(err)
	}
	b, err := release.Upstream{Dir: filepath.Join(root, "upstream"), File: "UPSTREAM"}.TreeHash()
	if err != nil {
		t.Fatal(err)
	}
	if a != b || !strings.HasPrefix(a, "h1:") {
		t.Errorf("HEAD's upstream/ hashes %s, the work tree's %s", a, b)
	}
}

func TestImportVerify(t *testing.T) {
	root := t.TempDir()
	rel := t.TempDir()
	if err := release.CopyTree(filepath.Join(repoRoot(t), layout.File), filepath.Join(root, layout.File)); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(rel, "vmplugin"), 0o755)
	os.WriteFile(filepath.Join(rel, "vmplugin", "a.go"), []byte("package vmplugin\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "upstream", "stale"), 0o755)
	os.WriteFile(filepath.Join(root, "upstream", "stale", "b.go"), []byte("package stale\n"), 0o644)

	p, err := release.Import(root, rel, "kvmagent", "2.3.1")
	if err != nil {
		t.Fatal(err)
	}
	up := release.Upstream{Dir: filepath.Join(root, "upstream"), File: "UPSTREAM"}
	if _, err := os.Stat(filepath.Join(up.Dir, "stale")); !os.IsNotExist(err) {
		t.Error("import kept a file of the old release")
	}
	got, err := up.ReadProvenance()
	if err != nil || !reflect.DeepEqual(got, p) || got.Version != "2.3.1" || got.Name != "kvmagent" {
		t.Errorf("provenance %+v, %v; want %+v", got, err, p)
	}
	if err := up.Verify(); err != nil {
		t.Errorf("verify after import: %v", err)
	}
	os.WriteFile(filepath.Join(up.Dir, "vmplugin", "a.go"), []byte("package vmplugin // edited\n"), 0o644)
	os.WriteFile(filepath.Join(up.Dir, "vmplugin", "new.go"), []byte("package vmplugin\n"), 0o644)
	err = up.Verify()
	if err == nil {
		t.Fatal("verify passed after an edit")
	}
	for _, want := range []string{"upstream/vmplugin/a.go (changed)", "upstream/vmplugin/new.go (added)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verify error %q does not name %s", err, want)
		}
	}
}
