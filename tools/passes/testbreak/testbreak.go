package testbreak

import (
	_ "embed"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/gotest"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/apibreak"
)

//go:embed doc.go
var doc string

// Pass is the test-break class.
var Pass = &pass.Pass{Name: "test-break", Doc: pass.DocOf(doc), Requires: []*pass.Pass{apibreak.Pass}, Run: run}

func run(in *pass.Input) ([]finding.Finding, error) {
	r := in.Tests
	if r == nil || r.New == nil {
		return nil, nil
	}
	var out []finding.Finding
	var goldens []gotest.Test
	for _, t := range r.New.Failed {
		switch {
		case r.Old.Find(t.Package, t.Name) != nil:
			f := broken(t)
			f.Severity = finding.Info
			f.Message = fmt.Sprintf("test %s fails under the old release too: not the release's doing: %s", label(t), first(t))
			f.Action = "none for the merge; fix the test on its own"
			out = append(out, f)
		// Passing again with no golden re-rendered (no package took
		// -update) would be a flaky test: that stays a break.
		case len(r.Updated) > 0 && r.Rerendered != nil && r.Rerendered.Find(t.Package, t.Name) == nil && t.Name != "":
			goldens = append(goldens, t)
		default:
			out = append(out, broken(t))
		}
	}
	if len(goldens) > 0 {
		out = append(out, rerender(goldens, r.Updated))
	}
	explained := map[string]bool{}
	for _, f := range in.Results[apibreak.Pass.Name] {
		explained[path.Dir(f.Overlay.File)] = true
	}
	for _, b := range r.New.Builds {
		if explained[b.Package] {
			continue
		}
		pos := b.Pos
		if pos.File == "" {
			pos.File = b.Package
		}
		out = append(out, finding.Finding{
			Severity: finding.Error, Symbol: b.Package, Overlay: pos,
			Message: fmt.Sprintf("package %s does not build with its tests under the new release, and no api-break names why: %s", b.Package, firstOf(b.Output)),
			Action:  fmt.Sprintf("run `go vet ./%s` under the new release and fix the overlay's code or test at the line", b.Package),
			Detail:  b.Output[:min(len(b.Output), 10)],
		})
	}
	return out, nil
}

// broken is the error finding of one test that the release breaks.
func broken(t gotest.Test) finding.Finding {
	run := "go test ./" + t.Package
	if t.Name != "" {
		run += " -run '^" + t.Name + "$'"
	}
	pos := t.Pos
	if pos.File == "" {
		pos.File = t.Package
	}
	return finding.Finding{
		Severity: finding.Error, Symbol: symbol(t), Overlay: pos,
		Message: fmt.Sprintf("test %s passes under the old release and fails under the new one: %s", label(t), first(t)),
		Action:  "read the failure (`" + run + "`): either the overlay must follow the release (the test, or the code it tests), or the vendor's change is a bug to answer in the overlay",
		Detail:  append(append([]string(nil), t.Subtests...), t.Output...),
	}
}

// rerender is the one warning of the tests that follow the stock XML. Its
// command re-renders the packages that took -update; the other tests pass
// once those goldens moved (they compare with them).
func rerender(ts []gotest.Test, updated []string) finding.Finding {
	// The finding sits at the first test of a package to re-render.
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b gotest.Test) int {
		au, bu := slices.Contains(updated, a.Package), slices.Contains(updated, b.Package)
		if au != bu {
			if au {
				return -1
			}
			return 1
		}
		return comparePos(a.Pos, b.Pos)
	})
	var names, pkgs, byPkg, upd []string
	var also []finding.Pos
	for i, t := range ts {
		if i > 0 && t.Pos.File != "" {
			also = append(also, t.Pos)
		}
		if !slices.Contains(pkgs, t.Package) {
			pkgs = append(pkgs, t.Package)
		}
		if slices.Contains(updated, t.Package) && !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
	}
	slices.Sort(names)
	slices.Sort(pkgs)
	slices.SortFunc(also, comparePos)
	for _, p := range pkgs {
		var in []string
		for _, t := range ts {
			if t.Package == p {
				in = append(in, t.Name)
			}
		}
		slices.Sort(in)
		byPkg = append(byPkg, p+" "+strings.Join(in, ", "))
		if slices.Contains(updated, p) {
			upd = append(upd, p)
		}
	}
	return finding.Finding{
		Severity: finding.Warning, Symbol: "goldens:" + strings.Join(upd, ","), Overlay: ts[0].Pos, Also: also,
		Message: fmt.Sprintf("%s in %s fail under the new release and pass once the goldens of %s are re-rendered: they compare output built over the stock XML the release changed (%s)",
			count(len(ts), "test"), count(len(pkgs), "package"), strings.Join(upd, ", "), strings.Join(byPkg, "; ")),
		Action: fmt.Sprintf("re-render them (`go test ./%s -run '^(%s)$' -update`) and read `git diff -- %s`: each change must be the release's stock change; where a layer's own output moved, fix the layer",
			strings.Join(upd, " ./"), strings.Join(names, "|"), strings.Join(upd, " ")),
		Detail: byPkg,
	}
}

func comparePos(a, b finding.Pos) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	return a.Line - b.Line
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func symbol(t gotest.Test) string {
	if t.Name == "" {
		return t.Package
	}
	return t.Package + "." + t.Name
}

// label names the test and its package, with its failing subtests.
func label(t gotest.Test) string {
	if t.Name == "" {
		return "package " + t.Package
	}
	switch len(t.Subtests) {
	case 0:
		return t.Name + " (" + t.Package + ")"
	case 1:
		return t.Subtests[0] + " (" + t.Package + ")"
	}
	return fmt.Sprintf("%s (%s; %d subtests, first %s)", t.Name, t.Package, len(t.Subtests), t.Subtests[0])
}

func first(t gotest.Test) string {
	return firstOf(t.Output)
}

func firstOf(lines []string) string {
	if len(lines) == 0 {
		return "no output"
	}
	return strings.Join(lines, " / ")
}
