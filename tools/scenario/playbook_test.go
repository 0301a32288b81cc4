package scenario_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strataagent/strata/tools/release"
)

// fencedBlocks returns the lines of MAINTAINING.md's fenced blocks of one
// language under each "## N." heading, by N, in order.
func fencedBlocks(md, lang string) map[string][]string {
	out := map[string][]string{}
	section, in := "", false
	var block []string
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "## "):
			section, _, _ = strings.Cut(strings.TrimPrefix(line, "## "), " ")
		case !in && line == "```"+lang:
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

// sectionText is the prose of the "## N." section of md.
func sectionText(md, n string) string {
	_, rest, ok := strings.Cut(md, "\n## "+n+" ")
	if !ok {
		return ""
	}
	body, _, _ := strings.Cut(rest, "\n## ")
	return body
}

// Placeholders of the playbook, the only text substituted: the release's
// scratch worktree and the repository's own path.
var placeholders = []string{"/tmp/rel232", "/path/to/repo"}

// ran is one playbook line as the shell ran it.
type ran struct {
	line, stdout, stderr string
	code                 int
}

// wantExit is what the playbook says a line exits with: 1 for a report
// with conflicts (diff, import: "exit 1 while there are conflicts") and
// for a line its comment says fails, 0 for every other.
func wantExit(line string) int {
	cmd, comment, _ := strings.Cut(line, "#")
	switch {
	case strings.Contains(cmd, "cmd/strata diff "), strings.Contains(cmd, "cmd/strata import "):
		return 1
	case strings.HasPrefix(strings.TrimSpace(comment), "fails"):
		return 1
	}
	return 0
}

// runStep runs the lines in one shell from dir, so a cd carries to the
// next line as a reader's would, and returns each line's output and exit.
func runStep(t *testing.T, dir, scratch string, lines []string) []ran {
	t.Helper()
	var script strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&script, "{ %s\n} > %s/%d.out 2> %s/%d.err; echo $? > %s/%d.rc\n", l, scratch, i, scratch, i, scratch, i)
	}
	cmd := exec.Command("sh", "-c", script.String())
	cmd.Dir = dir
	// The test-break preview copies go to the scratch directory's cache,
	// not the user's (one per scratch copy would pile up there).
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t",
		"XDG_CACHE_HOME="+filepath.Join(scratch, "cache"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("shell: %v\n%s", err, out)
	}
	rs := make([]ran, len(lines))
	cwd := dir
	for i, l := range lines {
		rc, _ := os.ReadFile(filepath.Join(scratch, fmt.Sprintf("%d.rc", i)))
		out, _ := os.ReadFile(filepath.Join(scratch, fmt.Sprintf("%d.out", i)))
		errOut, _ := os.ReadFile(filepath.Join(scratch, fmt.Sprintf("%d.err", i)))
		code, err := strconv.Atoi(strings.TrimSpace(string(rc)))
		if err != nil {
			t.Fatalf("%q: no exit code: %v", l, err)
		}
		if d, ok := strings.CutPrefix(l, "cd "); ok {
			cwd, _, _ = strings.Cut(d, " ")
		}
		if code != 0 && wantExit(l) == 0 && strings.HasPrefix(l, "go test ") {
			// upstream/'s timing tests can miss on a loaded machine:
			// the same line once more, where it ran.
			t.Logf("%q failed, once more:\n%s", l, lastLines(string(out), 10))
			again := exec.Command("sh", "-c", l)
			again.Dir = cwd
			b, err := again.CombinedOutput()
			out, errOut, code = b, nil, 0
			if err != nil {
				code = 1
			}
		}
		rs[i] = ran{line: l, stdout: string(out), stderr: string(errOut), code: code}
	}
	return rs
}

// reportFinding is one conflict of the text report.
type reportFinding struct{ class, pos, severity, message string }

var (
	classHeading = regexp.MustCompile(`^([a-z-]+) \((\d+)\)$`)
	findingLine  = regexp.MustCompile(`^  (\S+:\d+): (error|warning): (.*)$`)
)

// conflicts parses the text report's conflict sections (info is not one).
func conflicts(report string) []reportFinding {
	var fs []reportFinding
	class := ""
	for _, l := range strings.Split(report, "\n") {
		if m := classHeading.FindStringSubmatch(l); m != nil {
			class = m[1]
			continue
		}
		if strings.HasPrefix(l, "info (") {
			class = ""
		}
		if m := findingLine.FindStringSubmatch(l); m != nil && class != "" {
			fs = append(fs, reportFinding{class: class, pos: m[1], severity: m[2], message: m[3]})
		}
	}
	return fs
}

// tableRows is the step 4 table: class, severity, symbol, overlay line.
func tableRows(section string) [][4]string {
	var rows [][4]string
	for _, l := range strings.Split(section, "\n") {
		cells := strings.Split(l, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		var row [4]string
		for i := range row {
			row[i] = strings.Trim(strings.TrimSpace(cells[i+1]), "`")
		}
		rows = append(rows, row)
	}
	return rows
}

// counted is a number the prose states about what the tool says or
// writes: "3 conflicts", "the stock XML of 18 cases changed", "14 layer goldens".
var counted = regexp.MustCompile(`\b(\d+) (conflicts?|findings?|touch points?|cases? changed|layer goldens?|agent goldens?|goldens?)(?: instead of (\d+))?`)

// TestPlaybookRelease runs MAINTAINING.md, steps 1 to 6, on a copy of the
// repository and the 2.3.2 fixture release, every command as written but
// for the placeholders. Between steps the test does what the playbook
// leaves to a person, each marked "test action": committing the import on
// its own with its source line, and a fix step 5 names. The report, the
// refresh and the re-rendered goldens are checked against what the prose
// says of them, and every count the prose states against the tool's.
//
// Step 6's ./scripts/test.sh (gofmt, vet, the race-enabled suite, fuzzing)
// is too slow to run here; the test runs instead the `go test` command the
// step's prose names for the packages the release touches.
func TestPlaybookRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the playbook copies the repository, renders the stock corpus and runs the overlay's tests (test-break) in every strata diff and import, and tests the overlay (about 5 min on 2 busy cores, half of it step 2's three previews)")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mdBytes, err := os.ReadFile(filepath.Join(repo, "MAINTAINING.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(mdBytes)
	golden, err := os.ReadFile(filepath.Join(repo, "tools/diff/testdata/releases/2.3.2/report.golden.txt"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := fencedBlocks(md, "sh")
	work := t.TempDir()
	if os.Getenv("PLAYBOOK_KEEP") != "" {
		if work, err = os.MkdirTemp("", "playbook"); err != nil {
			t.Fatal(err)
		}
		t.Logf("scratch copy kept in %s", work)
	}
	cp := filepath.Join(work, "repo")
	copyPlaybookBase(t, repo, cp)
	git(t, cp, "init", "-q", "-b", "main")
	git(t, cp, "add", "-A")
	git(t, cp, "commit", "-q", "-m", "the repository as it is")
	sub := strings.NewReplacer(placeholders[0], filepath.Join(work, "rel232"), placeholders[1], cp)

	// stated holds the tool's value of each count the prose may state,
	// filled as the steps run; the end checks every number against it.
	stated := map[string]int{}
	var report string // the import's report

	for _, step := range []string{"1.", "2.", "3.", "4.", "5.", "6."} {
		prose := sectionText(md, step)
		if prose == "" {
			t.Fatalf("MAINTAINING.md has no section ## %s", step)
		}
		var lines []string
		for _, l := range blocks[step] {
			if strings.TrimSpace(l) == "./scripts/test.sh" || strings.HasPrefix(strings.TrimSpace(l), "./scripts/test.sh ") {
				m := regexp.MustCompile("`(go test [^`]+)` passed").FindStringSubmatch(prose)
				if m == nil {
					t.Fatalf("step %s: no `go test ...` passed in the prose to run instead of ./scripts/test.sh", step)
				}
				l = m[1] + " # instead of " + strings.TrimSpace(l)
			}
			lines = append(lines, sub.Replace(l))
		}
		if len(lines) == 0 && step != "4." {
			t.Fatalf("MAINTAINING.md has no shell block under ## %s", step)
		}
		began := time.Now()
		rs := runStep(t, cp, work, lines)
		t.Logf("step %s: %d commands, %s", step, len(lines), time.Since(began).Round(time.Second))
		for _, r := range rs {
			if want := wantExit(r.line); r.code != want {
				t.Errorf("step %s: %q: exit %d, want %d\n%s\n%s", step, r.line, r.code, want, firstLines(r.stdout, 40), lastLines(r.stderr, 20))
			}
		}
		if t.Failed() {
			t.FailNow() // later steps build on this one
		}

		switch step {
		case "2.":
			checkPreviews(t, rs, string(golden))
		case "3.":
			report = rs[0].stdout
			if report != string(golden) {
				t.Fatalf("step 3: the import's report is not tools/diff/testdata/releases/2.3.2/report.golden.txt:\n%s", firstLines(report, 60))
			}
			fs := conflicts(report)
			onlyNew := 0 // xml-overlap findings whose evidence is the new case alone
			for _, f := range fs {
				if f.class != "xml-overlap" {
					continue
				}
				cases := corpusList.FindAllStringSubmatch(f.message, -1)
				if len(cases) > 0 && !slices.ContainsFunc(cases, func(m []string) bool { return m[1] != newCorpusCase }) {
					onlyNew++
				}
			}
			// Step 1: without the release's new corpus case its
			// xml-overlap is not there.
			// Step 1 speaks of a preview, which lacks the import's own
			// test-break (importOnly).
			previewed := len(fs)
			for _, f := range fs {
				if importOnly(f) {
					previewed--
				}
			}
			stated["1.|conflicts"] = previewed
			stated["1.|conflicts/without the new case"] = previewed - onlyNew
			stated["4.|cases"] = strings.Count(report, "\n  xml: the stock XML of corpus case ")
			// Test action: what step 3 leaves to a person, the source
			// line by hand and the import committed on its own.
			up := filepath.Join(cp, "upstream/UPSTREAM")
			b := read(t, up)
			src := regexp.MustCompile(`(?m)^source .*$`)
			if !src.MatchString(b) {
				t.Fatal("step 3: upstream/UPSTREAM has no source line")
			}
			b = src.ReplaceAllString(b, "source github.com/zstackio/zstack-utility branch 2.3.2 (head eb78a1b70c16...), vm_plugin.py + linux.py delta from 3324ee2 ported to Go")
			if err := os.WriteFile(up, []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
			git(t, cp, "add", "-A")
			git(t, cp, "commit", "-q", "-m", "import 2.3.2")
		case "4.":
			checkTable(t, prose, conflicts(report))
		case "5.":
			stated["5.|layer goldens"], stated["5.|agent goldens"] = checkResolve(t, cp, prose, rs)
		case "6.":
			for _, r := range rs {
				if strings.Contains(r.line, "cmd/strata check") && !strings.Contains(r.stdout, "no conflicts") {
					t.Errorf("step 6: check after accept:\n%s", r.stdout)
				}
			}
			if out := git(t, cp, "status", "--porcelain", "upstream"); out != "" {
				t.Errorf("step 6: upstream/ changed after the import's commit:\n%s", out)
			}
		}
	}
	checkCounts(t, md, stated)
}

// copyPlaybookBase copies the repository the playbook's release applies
// to into dst: this one while upstream/ is the fixture's BASE, else the
// commit that recorded BASE (release.AtTree) with this repository's tool
// (tools/, cmd/strata, go.mod, go.sum) in it, since the tool is what the
// playbook tests.
func copyPlaybookBase(t *testing.T, repo, dst string) {
	t.Helper()
	base, err := release.ReadBase(filepath.Join(repo, "tools/diff/testdata/releases/2.3.2/BASE"))
	if err != nil {
		t.Fatal(err)
	}
	src, temp, err := base.At(repo, "upstream", "UPSTREAM")
	if err != nil {
		t.Fatalf("the playbook's release applies to upstream tree %s: %v", base.Tree, err)
	}
	if !temp {
		copyRepo(t, repo, dst)
		return
	}
	defer os.RemoveAll(src)
	if err := release.CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	tool := []string{"tools", "cmd/strata", "go.mod", "go.sum"}
	for _, p := range tool {
		if err := os.RemoveAll(filepath.Join(dst, p)); err != nil {
			t.Fatal(err)
		}
	}
	copyRepo(t, repo, dst, tool...)
}

// newCorpusCase is the corpus case the 2.3.2 fixture adds; corpusList
// matches the cases an xml-overlap message names as its evidence.
const newCorpusCase = "custom_cpu_native_aio"

var corpusList = regexp.MustCompile(`: corpus ([^;)]+)`)

// importOnly is the import's test-break that no preview has: the import
// writes the release's version into upstream/UPSTREAM before the overlay's
// tests run, and overlay/buildinfo's test checks it; the release tree the
// previews read still has the old version there (step 6's go generate
// answers it).
func importOnly(f reportFinding) bool {
	return f.class == "test-break" && strings.Contains(f.message, "TestUpstreamReleaseCurrent")
}

// checkPreviews: each preview of step 2 names the report's xml-overlap
// findings, as many as the import's report (step 3's golden) has (the ref
// too: `git add -A` kept the new corpus case, without which disk-tuning's
// collision does not show), the JSON as many conflicts, with no warning.
func checkPreviews(t *testing.T, rs []ran, golden string) {
	t.Helper()
	var fs []reportFinding
	for _, f := range conflicts(golden) {
		if !importOnly(f) {
			fs = append(fs, f)
		}
	}
	wantXML := 0
	for _, f := range fs {
		if f.class == "xml-overlap" {
			wantXML++
		}
	}
	for _, r := range rs {
		out := r.stdout
		var n int
		switch {
		case strings.Contains(r.line, "--json"):
			if want := fmt.Sprintf("\"conflicts\": %d,", len(fs)); !strings.Contains(out, want) {
				t.Errorf("step 2: %q: counts do not say %d conflicts\n%s", r.line, len(fs), firstLines(out, 40))
			}
			n = strings.Count(out, "\"class\": \"xml-overlap\"")
		case strings.Contains(r.line, "--sarif"):
			n = strings.Count(out, "\"ruleId\": \"xml-overlap\"")
		default:
			n = strings.Count(out, "writes /domain/")
		}
		if n != wantXML {
			t.Errorf("step 2: %q: %d xml-overlap findings, want %d (the release's new corpus case included)\n%s", r.line, n, wantXML, firstLines(out, 40))
		}
		if strings.Contains(r.stderr+out, "analysis warning:") || strings.Contains(r.stderr+out, "strata: warning:") {
			t.Errorf("step 2: %q warns\n%s", r.line, firstLines(r.stderr, 40))
		}
	}
}

// checkTable: step 4's table has one row per conflict of the report, with
// its class, severity, overlay line and symbol (in the finding's message).
func checkTable(t *testing.T, prose string, fs []reportFinding) {
	t.Helper()
	rows := tableRows(prose)
	if len(rows) != len(fs) {
		t.Errorf("step 4: the table has %d rows, the report %d conflicts", len(rows), len(fs))
	}
	for _, row := range rows {
		i := slices.IndexFunc(fs, func(f reportFinding) bool {
			return f.class == row[0] && f.severity == row[1] && f.pos == row[3] && strings.Contains(f.message, row[2])
		})
		if i < 0 {
			t.Errorf("step 4: table row %q: no such conflict in the report: %v", row, fs)
		}
	}
}

// checkResolve checks what step 5 says of its commands on 2.3.2: the
// refresh merged the one drifted copy as the diff block shows, with no
// conflict markers; no layer's code changed; and it returns how many
// goldens of overlay/layers and overlay/agentex the re-render changed.
func checkResolve(t *testing.T, cp, prose string, rs []ran) (layers, agentex int) {
	t.Helper()
	said := regexp.MustCompile("`([^`]+: merged)`").FindStringSubmatch(prose)
	if said == nil {
		t.Fatal("step 5: the prose quotes no `...: merged` refresh line")
	}
	var gitDiff string
	for i, r := range rs {
		if strings.Contains(r.line, "cmd/strata refresh") && i == 0 && !strings.Contains(r.stdout, said[1]+"\n") {
			t.Errorf("step 5: %q does not print %q:\n%s", r.line, said[1], r.stdout)
		}
		if strings.HasPrefix(r.line, "git diff ") {
			gitDiff = r.stdout
		}
	}
	// git grep exits 1 when nothing matches: that is the clean case.
	if out, err := exec.Command("git", "-C", cp, "grep", "-l", "-e", "^<<<<<<< ", "--", "overlay").Output(); err == nil || len(out) > 0 {
		t.Fatalf("step 5: the refresh left conflict markers, for a person to resolve:\n%s", out)
	}
	// The prose's diff of the copy: each changed line is the refresh's.
	copyDiff := git(t, cp, "diff", "-U0", "overlay/vmpluginex.go")
	for _, l := range fencedBlocks("## 5. x\n"+prose, "diff")["5."] {
		if (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-")) && !strings.Contains(copyDiff, "\n"+l+"\n") {
			t.Errorf("step 5: the diff block's line %q is not the refresh's:\n%s", l, copyDiff)
		}
	}
	if out := git(t, cp, "diff", "--name-only", "--", "overlay/layers/*.go", "overlay/declarative/*.go"); out != "" {
		t.Errorf("step 5: the playbook says no layer changes, the tree has:\n%s", out)
	}
	for _, l := range strings.Split(gitDiff, "\n") {
		switch {
		case strings.HasPrefix(l, "diff --git a/overlay/layers/testdata/"):
			layers++
		case strings.HasPrefix(l, "diff --git a/overlay/agentex/testdata/"):
			agentex++
		}
	}
	if layers == 0 || agentex == 0 {
		t.Errorf("step 5: the re-render changed %d layer and %d agent goldens, want both sets changed", layers, agentex)
	}
	return layers, agentex
}

// checkCounts: every count MAINTAINING.md states is one the test
// measured, and equals it. A count's key is its section and noun; "N
// conflicts instead of M" states both.
func checkCounts(t *testing.T, md string, stated map[string]int) {
	t.Helper()
	for _, sec := range []string{"1.", "2.", "3.", "4.", "5.", "6."} {
		prose := sectionText(md, sec)
		for _, m := range counted.FindAllStringSubmatch(prose, -1) {
			noun := strings.TrimSuffix(m[2], " changed")
			if !strings.HasSuffix(noun, "s") {
				noun += "s"
			}
			claims := [][2]string{{sec + "|" + noun, m[1]}}
			if m[3] != "" {
				claims = [][2]string{{sec + "|" + noun + "/without the new case", m[1]}, {sec + "|" + noun, m[3]}}
			}
			for _, c := range claims {
				n, _ := strconv.Atoi(c[1])
				want, ok := stated[c[0]]
				switch {
				case !ok:
					t.Errorf("MAINTAINING.md section %s states %q, a count the test does not measure: generate it or drop it", sec, m[0])
				case n != want:
					t.Errorf("MAINTAINING.md section %s states %q (%s), the tool says %d", sec, m[0], c[0], want)
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
