package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %q: %v\n%s", args, err, out)
	}
}

// TestUncommittedRelease: a release branch whose worktree holds a corpus
// case `git commit -am` left out is named with the file, until it is
// committed (MAINTAINING step 1's "3 conflicts instead of 5").
func TestUncommittedRelease(t *testing.T) {
	tmp := t.TempDir()
	root, wt := filepath.Join(tmp, "repo"), filepath.Join(tmp, "rel")
	if err := os.MkdirAll(filepath.Join(root, "upstream", "vmplugin", "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"plugin.go", "testdata/old_case.json"} {
		if err := os.WriteFile(filepath.Join(root, "upstream", "vmplugin", f), []byte("package vmplugin\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lay, err := os.ReadFile(filepath.Join("..", "..", "strata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "strata.yaml"), lay, 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, root, "init", "-q", "-b", "main")
	gitIn(t, root, "add", "-A")
	gitIn(t, root, "commit", "-qm", "base")
	gitIn(t, root, "worktree", "add", "-q", "-b", "rel-2.3.2", wt, "HEAD")
	if err := os.WriteFile(filepath.Join(wt, "upstream", "vmplugin", "testdata", "new_case.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, wt, "commit", "-qam", "release 2.3.2", "--allow-empty")

	tests := []struct {
		name, ref string
		want      string // a substring; empty: no warning
	}{
		{"the branch, file untracked", "rel-2.3.2", "upstream/vmplugin/testdata/new_case.json"},
		{"a ref no worktree has", "main", ""},
		{"a directory", filepath.Join(wt, "upstream"), ""},
	}
	for _, tt := range tests {
		got := uncommittedRelease(root, tt.ref)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: warning %q, want one containing %q", tt.name, got, tt.want)
		}
	}
	gitIn(t, wt, "add", "-A")
	gitIn(t, wt, "commit", "-qm", "the new case")
	if got := uncommittedRelease(root, "rel-2.3.2"); got != "" {
		t.Errorf("after git add -A and commit: %q", got)
	}
}
