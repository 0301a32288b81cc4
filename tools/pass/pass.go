// Package pass is the frame of the conflict classes: each class is a Pass
// (like go/analysis's Analyzer) with a name, a doc, the passes it requires
// and a Run over the two loaded trees; Validate checks a set at startup.
package pass

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/gotest"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// Pass is one conflict class.
type Pass struct {
	Name     string // the class, as in the report: "api-break"
	Doc      string // first line: a summary
	Requires []*Pass
	Run      func(*Input) ([]finding.Finding, error)
	// Lock lists the kinds of lock line whose facts Run reads from the old
	// side, so check can rebuild that side from overlay/strata.lock alone.
	// A pass with facts of its own declares its own lock.Kind.
	Lock []*lock.Kind
}

// Input is what every pass reads.
type Input struct {
	Old, New *touchpoints.Tree
	// XML is the stock corpus under each release; nil when a release did
	// not render (then xml-overlap reports nothing and the caller warns).
	OldXML, NewXML stockxml.Corpus
	// OldLayers and NewLayers are the operator's declarative entries
	// (`--layers FILE`) applied under each release; nil without --layers
	// or when a release's harness did not build (the caller warns).
	OldLayers, NewLayers *stockxml.LayerRender
	// Tests are the overlay's own tests run across the change (diff and
	// import; --no-tests and check leave it nil).
	Tests *gotest.Result
	// Results holds the findings of required passes, by name.
	Results map[string][]finding.Finding
}

var nameRE = regexp.MustCompile(`^[a-z][a-z-]*[a-z]$`)

// Validate checks a set: unique well-formed names, a doc, a Run, and
// Requires inside the set without cycles.
func Validate(ps []*Pass) error {
	seen := map[string]*Pass{}
	var errs []error
	for _, p := range ps {
		switch {
		case !nameRE.MatchString(p.Name):
			errs = append(errs, fmt.Errorf("pass %q: name must be lower-case words joined by dashes", p.Name))
		case seen[p.Name] != nil:
			errs = append(errs, fmt.Errorf("pass %q: defined twice", p.Name))
		case strings.TrimSpace(p.Doc) == "":
			errs = append(errs, fmt.Errorf("pass %q: no doc", p.Name))
		case p.Run == nil:
			errs = append(errs, fmt.Errorf("pass %q: no Run", p.Name))
		}
		seen[p.Name] = p
	}
	for _, p := range ps {
		for _, r := range p.Requires {
			if seen[r.Name] != r {
				errs = append(errs, fmt.Errorf("pass %q requires %q, which is not in the set", p.Name, r.Name))
			}
		}
	}
	state := map[*Pass]int{}
	var visit func(*Pass) error
	visit = func(p *Pass) error {
		switch state[p] {
		case 1:
			return fmt.Errorf("pass %q: cycle in Requires", p.Name)
		case 2:
			return nil
		}
		state[p] = 1
		for _, r := range p.Requires {
			if err := visit(r); err != nil {
				return err
			}
		}
		state[p] = 2
		return nil
	}
	for _, p := range ps {
		if err := visit(p); err != nil {
			errs = append(errs, err)
			break
		}
	}
	return errors.Join(errs...)
}

// RunAll runs a validated set in dependency order and returns every finding.
func RunAll(ps []*Pass, in *Input) ([]finding.Finding, error) {
	if in.Results == nil {
		in.Results = map[string][]finding.Finding{}
	}
	done := map[*Pass]bool{}
	var all []finding.Finding
	var run func(*Pass) error
	run = func(p *Pass) error {
		if done[p] {
			return nil
		}
		done[p] = true
		for _, r := range p.Requires {
			if err := run(r); err != nil {
				return err
			}
		}
		fs, err := p.Run(in)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		for i := range fs {
			if fs[i].Class == "" {
				fs[i].Class = p.Name
			}
		}
		in.Results[p.Name] = fs
		all = append(all, fs...)
		return nil
	}
	for _, p := range ps {
		if err := run(p); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// LockKinds is the union of a set's lock kinds, in pass order.
func LockKinds(ps []*Pass) []*lock.Kind {
	var lists [][]*lock.Kind
	for _, p := range ps {
		lists = append(lists, p.Lock)
	}
	return lock.Kinds(lists...)
}

// DocOf extracts the package comment of a pass's doc.go source (embedded
// with go:embed), so the doc lives in one place.
func DocOf(src string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", src, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil || f.Doc == nil {
		return ""
	}
	return strings.TrimSpace(f.Doc.Text())
}

// FirstBy keeps, per symbol, the finding at the first overlay position, so a
// symbol used in ten places is reported once; every other position of the
// symbol goes into that finding's Also, in file order, so a changed
// signature names all its call sites and not only the first.
func FirstBy(fs []finding.Finding) []finding.Finding {
	fs = finding.Sort(fs)
	first := map[string]int{}
	var out []finding.Finding
	for _, f := range fs {
		i, ok := first[f.Symbol]
		if !ok {
			first[f.Symbol] = len(out)
			out = append(out, f)
			continue
		}
		kept := &out[i]
		for _, p := range append([]finding.Pos{f.Overlay}, f.Also...) {
			if p != kept.Overlay && !slices.Contains(kept.Also, p) {
				kept.Also = append(kept.Also, p)
			}
		}
	}
	for i := range out {
		slices.SortFunc(out[i].Also, comparePos)
	}
	return out
}

func comparePos(a, b finding.Pos) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	return a.Line - b.Line
}

// Reported is the set of symbols the named passes' results already name.
func (in *Input) Reported(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		for _, f := range in.Results[n] {
			m[f.Symbol] = true
		}
	}
	return m
}
