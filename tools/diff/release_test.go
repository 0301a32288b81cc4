package diff_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/release"
)

// releaseTree builds a release fixture the way a vendor drop arrives: this
// repository's upstream/ with testdata/releases/<v>/release.patch applied
// (git apply -p2, by argv; the patch names a/upstream/... paths) and its UPSTREAM written with the tree hash. It
// returns the directory laid out like upstream/.
func releaseTree(t *testing.T, version string) string {
	t.Helper()
	root, _ := filepath.Abs("../..")
	fix, _ := filepath.Abs(filepath.Join("testdata", "releases", version))
	dir := filepath.Join(t.TempDir(), "upstream")
	if err := release.CopyTree(filepath.Join(root, "upstream"), dir); err != nil {
		t.Fatal(err)
	}
	patch := filepath.Join(fix, "release.patch")
	if st, err := os.Stat(patch); err != nil {
		t.Fatal(err)
	} else if st.Size() > 0 {
		cmd := exec.Command("git", "apply", "-p2", patch)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git apply %s: %v\n%s", patch, err, out)
		}
	}
	p, err := release.ReadProvenance(fix)
	if err != nil {
		t.Fatal(err)
	}
	if p.Tree, err = release.TreeHash(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, release.File), []byte(p.Format()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// 2.3.1: vm_plugin's one change is in get_pci_info, a handler the port does
// not carry; linux.py adds get_img_file_fmt (ported as GetImgFileFmt) and
// changes kill_process (not ported) and wait_callback_success's
// ignore-exception path (the port has none). No conflict; the new function
// is the only information.
func TestRelease231(t *testing.T) {
	root, _ := filepath.Abs("../..")
	rep, err := diff.Run(context.Background(), diff.Options{Root: root, New: releaseTree(t, "2.3.1")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.New.Version != "2.3.1" {
		t.Errorf("new version %q", rep.New.Version)
	}
	if len(rep.Conflicts) != 0 || len(rep.Warnings) != 0 {
		t.Errorf("2.3.1: conflicts %+v, warnings %q", rep.Conflicts, rep.Warnings)
	}
	if len(rep.Info) != 1 || rep.Info[0].Symbol != "upstream/linux.GetImgFileFmt" {
		t.Errorf("2.3.1 info = %+v, want the one added function", rep.Info)
	}
}
