package diff_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/gotest"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/report"
)

var update = flag.Bool("update", false, "rewrite the 2.3.2 report golden files")

// releaseTree builds a release fixture the way a vendor drop arrives: the
// repository as of the port release the fixture was made on (BASE: its
// version and tree), with testdata/releases/<v>/release.patch applied to
// its upstream/ (git apply -p2, by argv; the patch names a/upstream/...
// paths) and its UPSTREAM written with the tree hash. It returns that
// repository's root (this one while upstream/ is still BASE; after an
// import moved it on, the commit that recorded BASE, out of git history)
// and the release's directory, laid out like upstream/. So a fixture
// keeps testing the same release against the same overlay whatever
// upstream/ holds now, and says why when it cannot.
func releaseTree(t *testing.T, version string) (string, string) {
	t.Helper()
	repo, _ := filepath.Abs("../..")
	fix, _ := filepath.Abs(filepath.Join("testdata", "releases", version))
	prov, err := release.Upstream{Dir: fix, File: "UPSTREAM"}.ReadProvenance()
	if err != nil {
		t.Fatal(err)
	}
	base, err := release.ReadBase(filepath.Join(fix, "BASE"))
	if err != nil {
		t.Fatal(err)
	}
	root, temp, err := base.At(repo, "upstream", "UPSTREAM")
	if err != nil {
		t.Fatalf("fixture %s applies to upstream tree %s: %v", version, base.Tree, err)
	}
	if temp {
		t.Cleanup(func() { os.RemoveAll(root) })
	}
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
	p := prov
	up := release.Upstream{Dir: dir, File: "UPSTREAM"}
	if p.Tree, err = up.TreeHash(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, up.File), []byte(p.Format()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, dir
}

// 2.3.1: vm_plugin's one change is in get_pci_info, a handler the port does
// not carry; linux.py changes kill_process, kill9_process and scp_download
// (not carried), fixes wait_callback_success's ignore-exception loop (the
// port has no such mode and already reads the clock after every call) and
// adds get_img_file_fmt, which nothing the port carries calls (a porter of
// the helpers vm_plugin uses would not add it). So the release differs in
// its version alone: no conflict, no information.
func TestRelease231(t *testing.T) {
	root, rel := releaseTree(t, "2.3.1")
	rep, err := diff.Run(context.Background(), diff.Options{Root: root, New: rel})
	if err != nil {
		t.Fatal(err)
	}
	if rep.New.Version != "2.3.1" {
		t.Errorf("new version %q", rep.New.Version)
	}
	if rep.New.Tree != rep.Old.Tree {
		t.Errorf("2.3.1's tree %s differs from 2.3.0's %s", rep.New.Tree, rep.Old.Tree)
	}
	if len(rep.Conflicts) != 0 || len(rep.Info) != 0 || len(rep.Warnings) != 0 {
		t.Errorf("2.3.1: conflicts %+v, info %+v, warnings %q", rep.Conflicts, rep.Info, rep.Warnings)
	}
	if code := report.ExitCode(rep); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}

// 2.3.2 against the overlay, with the stock corpus rendered and the
// overlay's tests run under both releases, as `strata import` does. The
// JSON and text reports are golden files (-update rewrites them);
// MAINTAINING.md explains every conflict in them.
func TestRelease232(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the stock corpus and runs the overlay's tests under two releases")
	}
	root, rel := releaseTree(t, "2.3.2")
	// root may be a temporary tree at the fixture's base: the preview
	// directory is the repository's own for this fixture, so Go's test
	// cache serves the next run.
	repo, _ := filepath.Abs("../..")
	cache, err := gotest.CacheDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diff.Run(context.Background(), diff.Options{Root: root, New: rel, Tests: true, TestCache: cache + "-2.3.2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("2.3.2: warnings %q", rep.Warnings)
	}
	if code := report.ExitCode(rep); code != 1 {
		t.Errorf("exit code %d, want 1 (conflicts)", code)
	}
	var js, txt bytes.Buffer
	if err := report.JSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	if err := report.Text(&txt, rep, report.Classes(passes.All), false); err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		file string
		got  []byte
	}{
		{"report.golden.json", js.Bytes()},
		{"report.golden.txt", txt.Bytes()},
	} {
		path := filepath.Join("testdata", "releases", "2.3.2", g.file)
		if *update {
			if err := os.WriteFile(path, g.got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(want, g.got) {
			t.Errorf("%s differs (run with -update to accept):\n%s", path, g.got)
		}
	}
}
