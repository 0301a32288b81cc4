// Package gotest runs the overlay's own tests in a materialised release
// tree with `go test -json` (argv, never a shell) and reads the events: the
// tests that fail, with their output and the line of their function, and
// the packages that do not build. The tool still never links a release:
// the go command builds and runs the tests inside the tree.
package gotest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/strataagent/strata/tools/touchpoints"
)

// Test is one failing test: a top-level test function, with the subtests
// under it that failed themselves (leaves), and the first lines of their
// failure output.
type Test struct {
	Package string // the directory, relative to the tree: "overlay/declarative"
	Name    string // the top-level function: "TestVirtXML"
	// Subtests are the failing subtests, "TestVirtXML/row", in order;
	// empty when the function failed itself.
	Subtests []string
	Output   []string        // the failure's first lines, of the first failing leaf
	Pos      touchpoints.Pos // the function's line; zero when not found
}

// Build is a package that does not build (its tests do not compile).
type Build struct {
	Package string
	Output  []string // the compiler's lines
	// Pos is the first compiler error's line in the tree; zero when the
	// output names none.
	Pos touchpoints.Pos
}

// Run is one `go test -json` over packages.
type Run struct {
	Failed []Test
	Builds []Build
	// NoUpdate lists the packages whose test binary has no -update flag
	// (only set by a run with -update).
	NoUpdate []string
}

// Find returns the failing test of a package, or nil.
func (r *Run) Find(pkg, name string) *Test {
	if r == nil {
		return nil
	}
	for i := range r.Failed {
		if r.Failed[i].Package == pkg && r.Failed[i].Name == name {
			return &r.Failed[i]
		}
	}
	return nil
}

// event is one line of `go test -json` (test2json, plus the build events).
type event struct {
	Action      string
	Package     string
	ImportPath  string
	Test        string
	Output      string
	FailedBuild string
}

// maxOutput is how many lines of a failure a Test keeps.
const maxOutput = 3

// Go runs `go test -json pkgs... [flags]` in dir and reads the events. A
// failing test is not an error; a go command that prints no events is.
func Go(ctx context.Context, dir string, pkgs []string, flags ...string) (*Run, error) {
	mod, err := modulePath(dir)
	if err != nil {
		return nil, err
	}
	// Packages first: the go command hands every argument after an
	// unknown flag (-update) to the test binary.
	args := append(append([]string{"test", "-json"}, pkgs...), flags...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	r, events := parse(stdout.Bytes(), mod)
	var exit *exec.ExitError
	if runErr != nil && (!errors.As(runErr, &exit) || events == 0) {
		return nil, fmt.Errorf("go %s in %s: %w: %s", strings.Join(args, " "), dir, runErr, lastLine(stderr.String()))
	}
	for i := range r.Failed {
		r.Failed[i].Pos = funcPos(dir, r.Failed[i].Package, r.Failed[i].Name)
	}
	for i := range r.Builds {
		r.Builds[i].Pos = errorPos(dir, r.Builds[i].Package, r.Builds[i].Output)
	}
	return r, nil
}

// parse reads the events into failing tests and failed builds, in the
// order the go command reported them; it returns how many events it read.
func parse(b []byte, mod string) (*Run, int) {
	rel := func(importPath string) string {
		// "pkg [pkg.test]", "pkg_test [pkg.test]": the package's folder.
		importPath, _, _ = strings.Cut(importPath, " ")
		importPath = strings.TrimSuffix(importPath, "_test")
		if importPath == mod {
			return "."
		}
		return strings.TrimPrefix(importPath, mod+"/")
	}
	type key struct{ pkg, test string }
	output := map[key][]string{}
	buildOut := map[string][]string{}
	failed := map[key]bool{}
	var order []key
	var buildFailed []string
	pkgFailed := map[string]bool{}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		n++
		switch e.Action {
		case "build-output":
			p := rel(e.ImportPath)
			if l := strings.TrimRight(e.Output, "\n"); !strings.HasPrefix(l, "# ") {
				buildOut[p] = append(buildOut[p], l)
			}
		case "output":
			k := key{rel(e.Package), e.Test}
			output[k] = append(output[k], strings.TrimRight(e.Output, "\n"))
		case "fail":
			k := key{rel(e.Package), e.Test}
			switch {
			case e.FailedBuild != "":
				buildFailed = append(buildFailed, rel(e.FailedBuild))
			case e.Test == "":
				pkgFailed[k.pkg] = true
			case !failed[k]:
				failed[k] = true
				order = append(order, k)
			}
		}
	}
	r := &Run{}
	tests := map[key]*Test{}
	var tops []key
	for _, k := range order {
		top, _, _ := strings.Cut(k.test, "/")
		tk := key{k.pkg, top}
		t := tests[tk]
		if t == nil {
			t = &Test{Package: k.pkg, Name: top}
			tests[tk] = t
			tops = append(tops, tk)
		}
		// A leaf: no failing subtest under it.
		leaf := !slices.ContainsFunc(order, func(o key) bool { return o.pkg == k.pkg && strings.HasPrefix(o.test, k.test+"/") })
		if !leaf {
			continue
		}
		if k.test != top {
			t.Subtests = append(t.Subtests, k.test)
		}
		if t.Output == nil {
			t.Output = failureLines(output[k])
		}
	}
	for _, tk := range tops {
		// Sorted, so parallel subtests report the same first one.
		t := tests[tk]
		slices.Sort(t.Subtests)
		if len(t.Subtests) > 0 {
			t.Output = failureLines(output[key{tk.pkg, t.Subtests[0]}])
		}
		r.Failed = append(r.Failed, *t)
	}
	// A package that failed with no test failing (a panic in TestMain, a
	// timeout, a missing -update flag): the package's own output says why.
	for pkg := range pkgFailed {
		if slices.ContainsFunc(tops, func(k key) bool { return k.pkg == pkg }) || slices.Contains(buildFailed, pkg) {
			continue
		}
		out := output[key{pkg, ""}]
		if slices.ContainsFunc(out, func(l string) bool { return strings.Contains(l, "flag provided but not defined: -update") }) {
			r.NoUpdate = append(r.NoUpdate, pkg)
			continue
		}
		r.Failed = append(r.Failed, Test{Package: pkg, Output: failureLines(out)})
	}
	sort.Strings(r.NoUpdate)
	for _, p := range buildFailed {
		if !slices.ContainsFunc(r.Builds, func(b Build) bool { return b.Package == p }) {
			r.Builds = append(r.Builds, Build{Package: p, Output: buildOut[p]})
		}
	}
	return r, n
}

// failureLines keeps a failure's own lines: not the RUN/FAIL/PASS frame,
// not log lines of the code under test (slog's time=...), trimmed.
func failureLines(out []string) []string {
	var keep []string
	for _, l := range out {
		s := strings.TrimSpace(l)
		switch {
		case s == "", s == "FAIL", strings.HasPrefix(s, "=== "), strings.HasPrefix(s, "--- "),
			strings.HasPrefix(s, "time="), strings.HasPrefix(s, "FAIL\t"), strings.HasPrefix(s, "exit status"):
			continue
		}
		keep = append(keep, s)
		if len(keep) == maxOutput {
			break
		}
	}
	return keep
}

// funcPos finds the test function in the package's _test.go files.
func funcPos(dir, pkg, name string) touchpoints.Pos {
	files, _ := filepath.Glob(filepath.Join(dir, pkg, "*_test.go"))
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
				return touchpoints.Pos{File: filepath.ToSlash(filepath.Join(pkg, filepath.Base(f))), Line: fset.Position(fd.Pos()).Line}
			}
		}
	}
	return touchpoints.Pos{}
}

var compileErr = regexp.MustCompile(`^(?:\./)?([^\s:]+\.go):(\d+):\d+: `)

// errorPos is the first compiler error's position, relative to the tree
// (the compiler prints paths relative to the package or the tree).
func errorPos(dir, pkg string, out []string) touchpoints.Pos {
	for _, l := range out {
		m := compileErr.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		var line int
		fmt.Sscan(m[2], &line)
		for _, cand := range []string{m[1], filepath.Join(pkg, m[1])} {
			if _, err := os.Stat(filepath.Join(dir, cand)); err == nil && !filepath.IsAbs(cand) {
				return touchpoints.Pos{File: filepath.ToSlash(cand), Line: line}
			}
		}
		if rel, err := filepath.Rel(dir, m[1]); err == nil && filepath.IsAbs(m[1]) && !strings.HasPrefix(rel, "..") {
			return touchpoints.Pos{File: filepath.ToSlash(rel), Line: line}
		}
	}
	return touchpoints.Pos{}
}

func modulePath(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("go test in %s: %w", dir, err)
	}
	p := modfile.ModulePath(b)
	if p == "" {
		return "", fmt.Errorf("go test in %s: go.mod names no module", dir)
	}
	return p, nil
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}
