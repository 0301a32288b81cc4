package diff_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/report"
)

var update = flag.Bool("update", false, "rewrite the 2.3.2 report golden files")

// releaseTree builds a release fixture the way a vendor drop arrives: this
// repository's upstream/ with testdata/releases/<v>/release.patch applied
// (git apply -p2, by argv; the patch names a/upstream/... paths) and its UPSTREAM written with the tree hash. It
// returns the directory laid out like upstream/.
func releaseTree(t *testing.T, version string) string {
	t.Helper()
	root, _ := filepath.Abs("../..")
	fix, _ := filepath.Abs(filepath.Join("testdata", "releases", version))
	// The fixture is the release's delta on the port release it was
	// rebased on (BASE): on another base it would test something else, so
	// it says so instead of skipping.
	base, err := os.ReadFile(filepath.Join(fix, "BASE"))
	if err != nil {
		t.Fatal(err)
	}
	have, err := release.Upstream{Dir: filepath.Join(root, "upstream"), File: "UPSTREAM"}.TreeHash()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(base), "tree "+have+"\n") {
		t.Fatalf("fixture %s applies to\n%supstream/ is now %s: rebase release.patch onto it (MAINTAINING.md) and update BASE", version, base, have)
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
	p, err := release.Upstream{Dir: fix, File: "UPSTREAM"}.ReadProvenance()
	if err != nil {
		t.Fatal(err)
	}
	up := release.Upstream{Dir: dir, File: "UPSTREAM"}
	if p.Tree, err = up.TreeHash(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, up.File), []byte(p.Format()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// 2.3.1: vm_plugin's one change is in get_pci_info, a handler the port does
// not carry; linux.py changes kill_process, kill9_process and scp_download
// (not carried), fixes wait_callback_success's ignore-exception loop (the
// port has no such mode and already reads the clock after every call) and
// adds get_img_file_fmt, which nothing the port carries calls (a porter of
// the helpers vm_plugin uses would not add it). So the release differs in
// its version alone: no conflict, no information.
func TestRelease231(t *testing.T) {
	root, _ := filepath.Abs("../..")
	rep, err := diff.Run(context.Background(), diff.Options{Root: root, New: releaseTree(t, "2.3.1")})
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

// 2.3.2 against the overlay, with the stock corpus rendered under both
// releases. The JSON and text reports are golden files (-update rewrites
// them); MAINTAINING.md explains every conflict in them.
func TestRelease232(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the stock corpus under two releases")
	}
	root, _ := filepath.Abs("../..")
	rep, err := diff.Run(context.Background(), diff.Options{Root: root, New: releaseTree(t, "2.3.2")})
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
