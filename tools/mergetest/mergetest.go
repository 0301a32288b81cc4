// Package mergetest runs the release-merge passes over a fixture, in the
// style of analysistest: testdata/src/<case>/ holds old/ and new/ (each laid
// out like upstream/) and overlay/ (laid out like the repository's overlay/,
// optionally linux2/ next to it), as fixture.yaml describes them (a fixture
// may bring its own strata.yaml instead); overlay lines that must be reported carry
// `// want "regexp"` comments matched against "class: message". A missing or
// an extra conflict fails the test.
//
// Run also holds the tool to the compiler: it builds the fixture's overlay
// against the new release and fails if the build breaks without an
// api-break finding, or if an api-break finding sits on a line the compiler
// does not reject; each api-break on an upstream symbol must also be an
// incompatible change to golang.org/x/exp/apidiff.
package mergetest

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/passes/apibreak"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/touchpoints"
)

// fixtureLayout is the strata.yaml of a fixture that brings none.
//
//go:embed fixture.yaml
var fixtureLayout []byte

// Trees assembles the old and new trees of a fixture in temporary
// directories: the repository's go.mod and go.sum (so fixtures may import
// the modules the project requires), the fixture's layout (its strata.yaml,
// else fixture.yaml), its overlay folders, and its old/ or new/ as the
// upstream folder.
func Trees(t testing.TB, dir string) (oldDir, newDir string) {
	t.Helper()
	root := moduleRoot(t)
	src, err := os.ReadFile(filepath.Join(dir, layout.File))
	if os.IsNotExist(err) {
		src, err = fixtureLayout, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	lay, err := layout.Parse(src)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	mk := func(rel string) string {
		d := t.TempDir()
		for _, f := range []string{"go.mod", "go.sum"} {
			if err := release.CopyTree(filepath.Join(root, f), filepath.Join(d, f)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, layout.File), src, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, side := range lay.Overlay {
			if err := release.CopyTree(layout.Abs(dir, side), layout.Abs(d, side)); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
		if err := release.CopyTree(filepath.Join(dir, rel), lay.UpstreamDir(d)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return mk("old"), mk("new")
}

// Run diffs the fixture at dir and checks its want comments and the
// compiler agreement. It returns the report for further checks.
func Run(t *testing.T, dir string) *finding.Report {
	t.Helper()
	oldDir, newDir := Trees(t, dir)
	rep, err := diff.Trees(context.Background(), oldDir, newDir, false)
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	for _, w := range rep.Warnings {
		t.Errorf("analysis warning: %s", w)
	}
	lay, err := layout.Load(oldDir)
	if err != nil {
		t.Fatal(err)
	}
	wants := collectWants(t, oldDir, lay.Overlay)
	for _, f := range rep.Conflicts {
		text := f.Class + ": " + f.Message
		matched := false
		for i, w := range wants {
			if !w.used && w.pos == f.Overlay && w.re.MatchString(text) {
				wants[i].used, matched = true, true
				break
			}
		}
		if !matched {
			t.Errorf("%s: unexpected finding: %s", f.Overlay, text)
		}
	}
	for _, w := range wants {
		if !w.used {
			t.Errorf("%s: no finding matching %q", w.pos, w.re)
		}
	}
	checkCompiler(t, oldDir, newDir, rep)
	return rep
}

type want struct {
	pos  touchpoints.Pos
	re   *regexp.Regexp
	used bool
}

func collectWants(t testing.TB, tree string, sides []string) []want {
	var out []want
	for _, side := range sides {
		base := layout.Abs(tree, side)
		filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			rel, _ := filepath.Rel(tree, p)
			for _, cg := range f.Comments {
				for _, c := range cg.List {
					out = append(out, parseWant(t, fset, filepath.ToSlash(rel), c)...)
				}
			}
			return nil
		})
	}
	return out
}

func parseWant(t testing.TB, fset *token.FileSet, file string, c *ast.Comment) []want {
	text, ok := strings.CutPrefix(c.Text, "// want ")
	if !ok {
		return nil
	}
	line := fset.Position(c.Pos()).Line
	var out []want
	for text = strings.TrimSpace(text); text != ""; text = strings.TrimSpace(text) {
		q, err := strconv.QuotedPrefix(text)
		if err != nil {
			t.Fatalf("%s:%d: bad want: %v", file, line, err)
		}
		s, _ := strconv.Unquote(q)
		out = append(out, want{pos: touchpoints.Pos{File: file, Line: line}, re: regexp.MustCompile(s)})
		text = text[len(q):]
	}
	return out
}

var errLine = regexp.MustCompile(`^(?:\./)?(\S+?\.go):(\d+):(?:\d+:)? `)

// checkCompiler builds the overlay against the new release.
func checkCompiler(t *testing.T, oldDir, newDir string, rep *finding.Report) {
	t.Helper()
	lay, err := layout.Load(newDir)
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, side := range lay.Overlay {
		if _, err := os.Stat(layout.Abs(newDir, side)); err == nil {
			pkgs = append(pkgs, "./"+side+"/...")
		}
	}
	if len(pkgs) == 0 {
		return
	}
	cmd := exec.Command("go", append([]string{"build"}, pkgs...)...)
	cmd.Dir = newDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	buildErr := cmd.Run()
	broken := map[touchpoints.Pos]bool{}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if m := errLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[2])
			broken[touchpoints.Pos{File: filepath.ToSlash(m[1]), Line: n}] = true
		}
	}
	var breaks []finding.Finding
	for _, f := range rep.Conflicts {
		if f.Class == apibreak.Pass.Name {
			breaks = append(breaks, f)
		}
	}
	if buildErr != nil && len(breaks) == 0 {
		t.Errorf("the overlay does not build against the new release, but no api-break was reported:\n%s", stderr.String())
	}
	if buildErr == nil && len(breaks) > 0 {
		t.Errorf("api-break reported but the overlay builds against the new release: %v", breaks)
	}
	oldT, newT := loadBoth(t, oldDir, newDir)
	incompatible := map[string]bool{}
	for _, c := range apibreak.APIChanges(oldT, newT) {
		if !c.Compatible {
			incompatible[c.Symbol] = true
		}
	}
	for _, f := range breaks {
		if len(broken) > 0 && !broken[f.Overlay] {
			t.Errorf("%s: api-break on %s, a line the compiler accepts", f.Overlay, f.Symbol)
		}
		if newT.IsUpstream(f.Symbol) && !incompatible[f.Symbol] {
			t.Errorf("%s: api-break on %s, which apidiff does not call incompatible (apidiff: %v)", f.Overlay, f.Symbol, incompatible)
		}
	}
}

func loadBoth(t testing.TB, a, b string) (*touchpoints.Tree, *touchpoints.Tree) {
	ta, err := touchpoints.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := touchpoints.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return ta, tb
}

func moduleRoot(t testing.TB) string {
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/strataagent/strata")) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			t.Fatal("mergetest: no github.com/strataagent/strata go.mod above the working directory")
		}
		d = parent
	}
}
