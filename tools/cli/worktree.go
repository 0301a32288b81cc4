package cli

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/strataagent/strata/tools/layout"
)

// uncommittedRelease warns when a release given as a git ref is the branch
// of a worktree whose upstream folder holds changes the ref lacks (a new corpus
// file left out by `git commit -am`, say): diff would read the ref and
// silently miss them. It lists at most a few files; an error of git is no
// warning (the ref may be a tag or a commit, with no worktree).
func uncommittedRelease(root, ref string) string {
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		return ""
	}
	lay, err := layout.Load(root)
	if err != nil {
		return ""
	}
	up := lay.Upstream.Dir + "/"
	out, err := exec.Command("git", "-C", root, "worktree", "list", "--porcelain").Output()
	if err != nil {
		return ""
	}
	var wt string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "worktree "); ok {
			wt = p
		}
		if b, ok := strings.CutPrefix(line, "branch "); ok && (b == ref || b == "refs/heads/"+ref) {
			if abs, _ := filepath.Abs(root); filepath.Clean(wt) == filepath.Clean(abs) {
				return "" // the ref is this tree's own branch
			}
			st, err := exec.Command("git", "-C", wt, "status", "--porcelain", "--untracked-files=all", "--", up).Output()
			if err != nil || len(strings.TrimSpace(string(st))) == 0 {
				return ""
			}
			files := strings.Split(strings.TrimRight(string(st), "\n"), "\n")
			shown := files
			if len(shown) > 5 {
				shown = shown[:5]
			}
			for i, f := range shown {
				shown[i] = strings.TrimSpace(f)
			}
			return fmt.Sprintf("release %s is the branch of worktree %s, whose %s has %d uncommitted or untracked files the ref lacks (%s); diff reads the ref: commit them there (git add -A && git commit) or pass the directory %s",
				ref, wt, up, len(files), strings.Join(shown, "; "), lay.UpstreamDir(wt))
		}
	}
	return ""
}
