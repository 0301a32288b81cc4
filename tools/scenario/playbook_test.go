package scenario_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// shellBlocks returns the fenced ```sh blocks of MAINTAINING.md under each
// "## N." heading, by N, in order.
func shellBlocks(t *testing.T, md string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	section, in := "", false
	var block []string
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "## "):
			section, _, _ = strings.Cut(strings.TrimPrefix(line, "## "), " ")
		case !in && line == "```sh":
			in, block = true, nil
		case in && line == "```":
			in = false
			out[section] = append(out[section], block...)
		case in:
			block = append(block, line)
		}
	}
	return out
}

// Placeholders of the playbook, the only text substituted: the release's
// scratch worktree and the repository's own path.
var placeholders = []string{"/tmp/rel232", "/path/to/repo"}

// TestPlaybookRelease runs steps 1 and 2 of MAINTAINING.md on a copy of
// the repository, every command as written but for the placeholders: the
// release worktree on its branch, the fixture patch, the stock goldens, the
// commit, then the three previews. Each preview names the 2.3.2 report's
// five conflicts (the ref too: `git add -A` kept the new corpus case).
func TestPlaybookRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and renders the corpus six times")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(repo, "MAINTAINING.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(t, string(md))
	work := t.TempDir()
	cp := filepath.Join(work, "repo")
	copyRepo(t, repo, cp)
	git(t, cp, "init", "-q", "-b", "main")
	git(t, cp, "add", "-A")
	git(t, cp, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "the repository as it is")
	sub := strings.NewReplacer(placeholders[0], filepath.Join(work, "rel232"), placeholders[1], cp)

	for _, step := range []string{"1.", "2."} {
		lines := blocks[step]
		if len(lines) == 0 {
			t.Fatalf("MAINTAINING.md has no shell block under ## %s", step)
		}
		// One shell per step, so a cd carries to the next line as a
		// reader's would; each line's output and exit code are kept.
		var script strings.Builder
		for i, l := range lines {
			fmt.Fprintf(&script, "{ %s\n} > %s/%d.out 2>&1; echo $? > %s/%d.rc\n", sub.Replace(l), work, i, work, i)
		}
		cmd := exec.Command("sh", "-c", script.String())
		cmd.Dir = cp
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("step %s: %v\n%s", step, err, out)
		}
		if os.Getenv("PLAYBOOK_KEEP") != "" {
			t.Logf("outputs in %s", work)
		}
		dir := cp
		for i, l := range lines {
			rc, _ := os.ReadFile(filepath.Join(work, fmt.Sprintf("%d.rc", i)))
			out, _ := os.ReadFile(filepath.Join(work, fmt.Sprintf("%d.out", i)))
			code := strings.TrimSpace(string(rc))
			isDiff := strings.Contains(l, "cmd/strata diff")
			if d, ok := strings.CutPrefix(sub.Replace(l), "cd "); ok {
				dir, _, _ = strings.Cut(d, " ")
			}
			if code != "0" && strings.HasPrefix(l, "go test ") {
				// upstream/'s timing tests can miss on a loaded machine:
				// the same line once more, where it ran.
				t.Logf("step %s: %q failed, once more:\n%s", step, l, lastLines(string(out), 10))
				again := exec.Command("sh", "-c", sub.Replace(l))
				again.Dir = dir
				b, err := again.CombinedOutput()
				out, code = b, "0"
				if err != nil {
					code = "1"
				}
			}
			switch {
			case isDiff && code != "1":
				t.Errorf("step %s: %q: exit %s, want 1 (conflicts)\n%s", step, l, code, firstLines(string(out), 40))
			case !isDiff && code != "0":
				t.Errorf("step %s: %q: exit %s\n%s", step, l, code, lastLines(string(out), 40))
			}
			if isDiff {
				var n int
				switch {
				case strings.Contains(l, "--json"):
					if !strings.Contains(string(out), "\"conflicts\": 3,") {
						t.Errorf("step %s: %q: counts do not say 3 conflicts\n%s", step, l, firstLines(string(out), 40))
					}
					n = strings.Count(string(out), "\"class\": \"xml-overlap\"")
				case strings.Contains(l, "--sarif"):
					n = strings.Count(string(out), "\"ruleId\": \"xml-overlap\"")
				default:
					n = strings.Count(string(out), "writes /domain/")
				}
				// The one collision (disk-tuning's io) shows only in the
				// release's new corpus case: left out, it reads 0.
				if n != 1 {
					t.Errorf("step %s: %q: %d xml-overlap findings, want 1 (the release's new corpus case included)\n%s", step, l, n, firstLines(string(out), 40))
				}
				if strings.Contains(string(out), "analysis warning:") || strings.Contains(string(out), "strata: warning:") {
					t.Errorf("step %s: %q warns\n%s", step, l, firstLines(string(out), 40))
				}
			}
		}
	}
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}
