package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAtTree: the repository as of a past upstream tree comes back from
// git history, the current one is the root itself, and a tree no commit
// records is an error that says why.
func TestAtTree(t *testing.T) {
	root := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(rel, s string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	release := func(version, body string) string {
		t.Helper()
		write("upstream/a.go", body)
		h, err := Upstream{Dir: filepath.Join(root, "upstream"), File: "UPSTREAM"}.TreeHash()
		if err != nil {
			t.Fatal(err)
		}
		write("upstream/UPSTREAM", Provenance{Name: "x", Version: version, Source: "test", Tree: h}.Format())
		write("overlay/o.go", "package overlay // at "+version+"\n")
		git("add", "-A")
		git("commit", "-q", "-m", version)
		return h
	}
	git("init", "-q")
	old := release("1.0", "package a // 1.0\n")
	// The overlay follows the import in commits of its own: the past
	// tree's repository is the last of them, not the import commit.
	write("overlay/o.go", "package overlay // at 1.0, followed\n")
	git("commit", "-q", "-am", "overlay follows 1.0")
	cur := release("1.1", "package a // 1.1\n")

	dir, temp, err := AtTree(root, "upstream", "UPSTREAM", cur, "")
	if err != nil || dir != root || temp {
		t.Fatalf("current tree: %q %v %v, want the root itself", dir, temp, err)
	}
	dir, temp, err = AtTree(root, "upstream", "UPSTREAM", old, "")
	if err != nil || !temp {
		t.Fatalf("past tree: %q %v %v", dir, temp, err)
	}
	defer os.RemoveAll(dir)
	for rel, want := range map[string]string{"upstream/a.go": "1.0", "overlay/o.go": "1.0, followed"} {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %q %v, want the %s file", rel, b, err, want)
		}
	}
	if h, err := (Upstream{Dir: filepath.Join(dir, "upstream"), File: "UPSTREAM"}).TreeHash(); err != nil || h != old {
		t.Errorf("past tree's hash %s %v, want %s", h, err, old)
	}
	if _, _, err := AtTree(root, "upstream", "UPSTREAM", "h1:nothing", ""); err == nil || !strings.Contains(err.Error(), "no commit") {
		t.Errorf("unknown tree: %v", err)
	}
	// A recorded commit is taken as it is, and must record the tree.
	if d, _, err := AtTree(root, "upstream", "UPSTREAM", old, "HEAD~1"); err != nil {
		t.Errorf("recorded commit: %v", err)
	} else {
		os.RemoveAll(d)
	}
	if _, _, err := AtTree(root, "upstream", "UPSTREAM", old, "HEAD"); err == nil || !strings.Contains(err.Error(), "does not record") {
		t.Errorf("a commit recording another tree: %v", err)
	}
}
