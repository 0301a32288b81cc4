package behaviorchange

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/apibreak"
	"github.com/strataagent/strata/tools/passes/copydrift"
	"github.com/strataagent/strata/tools/passes/overridedrift"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

//go:embed doc.go
var doc string

// Pass is the behavior-change class.
var Pass = &pass.Pass{
	Name: "behavior-change", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.Bodies, Reached},
	Requires: []*pass.Pass{apibreak.Pass, copydrift.Pass, overridedrift.Pass},
}

// corpusEntry is what of a case shows a change reached only through one of
// the functions the stock corpus harness (tools/stockxml) runs on every case.
type corpusEntry struct {
	differs    func(o, n stockxml.Case) bool
	unrendered bool // shown when no corpus was rendered
}

// corpusEntries are the functions the harness runs, as the tree's layout
// names them (stock.validate, stock.build): the validation's answer
// (accepted, or the refusal) shows a change through a validation method,
// the rendered XML one through the builder. Without a rendered corpus
// (--no-xml, a harness that did not build, a tree without layers) the
// builder's side is skipped as xml-overlap skips it, and the caller says
// so; a validation change is then reported, since nothing else would name
// it.
func corpusEntries(t *touchpoints.Tree) map[string]corpusEntry {
	m := map[string]corpusEntry{}
	for _, v := range t.Layout.ValidateSymbols() {
		m[v] = corpusEntry{differs: acceptanceDiffers}
	}
	m[t.Layout.BuildSymbol()] = corpusEntry{differs: func(o, n stockxml.Case) bool { return o != n }, unrendered: true}
	return m
}

func acceptanceDiffers(o, n stockxml.Case) bool {
	return o.Refused() != n.Refused() || o.Error != n.Error
}

func run(in *pass.Input) ([]finding.Finding, error) {
	done := in.Reported(apibreak.Pass.Name, copydrift.Pass.Name, overridedrift.Pass.Name)
	direct := map[string]bool{}
	var out []finding.Finding
	for _, u := range in.Old.Uses {
		if !u.Call {
			continue
		}
		direct[u.Symbol] = true
		if done[u.Symbol] || !changed(in, u.Symbol) {
			continue
		}
		o, n := in.Old.Object(u.Symbol), in.New.Object(u.Symbol)
		out = append(out, finding.Finding{
			Severity: finding.Warning, Symbol: u.Symbol, Overlay: u.Pos,
			Upstream: finding.Upstream{Old: finding.PosOf(o.Pos), New: finding.PosOf(n.Pos)},
			Message:  fmt.Sprintf("the body of %s, which the overlay calls, changed", u.Symbol),
			Action:   "read the upstream change and check the overlay's use still holds",
		})
	}
	out = append(out, transitive(in, direct, done)...)
	return pass.FirstBy(out), nil
}

// changed reports whether a function's normalised body differs between the
// releases for more than its route registrations (route-change judges
// those).
func changed(in *pass.Input, sym string) bool {
	o, n := in.Old.Object(sym), in.New.Object(sym)
	if o == nil || n == nil || o.Hash == "" || n.Hash == "" || o.Hash == n.Hash {
		return false
	}
	return o.RouteHash == "" || o.RouteHash != n.RouteHash
}

// transitive follows the new release's static call graph from every
// upstream function the overlay calls or hands on, and reports each changed
// function it reaches that the overlay does not call itself, with the path
// to it. A changed function reached only through the corpus entries is
// left to the corpus diffs when each entry that reaches it shows a
// difference on some case (a refusal that changed for the validation, XML
// for the builder: info, stock-acceptance and xml-overlap name it); when
// one does not, the change is one the corpus does not show (a new bound no
// case trips) and is reported.
func transitive(in *pass.Input, direct, done map[string]bool) []finding.Finding {
	entries := corpusEntries(in.Old)
	avoid := map[string]bool{}
	for e := range entries {
		avoid[e] = true
	}
	avoidingCorpus := map[string]bool{}
	for _, u := range in.Old.Uses {
		if u.Call && !avoid[u.Symbol] {
			for s := range reach(in.New, u.Symbol, avoid) {
				avoidingCorpus[s] = true
			}
		}
	}
	rendered := in.OldXML != nil && in.NewXML != nil
	showsChanges := map[string]bool{} // entry: the corpus shows what changed through it
	entryReach := map[string]map[string][]string{}
	for e, how := range entries {
		entryReach[e] = reach(in.New, e, nil)
		showsChanges[e] = rendered && corpusDiffers(in, how.differs) || !rendered && how.unrendered
	}
	shown := func(c string) bool {
		if avoidingCorpus[c] {
			return false
		}
		for e, r := range entryReach {
			if _, ok := r[c]; ok && !showsChanges[e] {
				return false
			}
		}
		return true
	}
	paths := map[string]map[string][]string{}
	var out []finding.Finding
	for _, u := range in.Old.Uses {
		if !u.Call {
			continue
		}
		if paths[u.Symbol] == nil {
			paths[u.Symbol] = reach(in.New, u.Symbol, nil)
		}
		for c, path := range paths[u.Symbol] {
			if c == u.Symbol || direct[c] || done[c] || !changed(in, c) || shown(c) {
				continue
			}
			o, n := in.Old.Object(c), in.New.Object(c)
			out = append(out, finding.Finding{
				Severity: finding.Warning, Symbol: c, Overlay: u.Pos,
				Upstream: finding.Upstream{Old: finding.PosOf(o.Pos), New: finding.PosOf(n.Pos)},
				Message:  fmt.Sprintf("the body of %s, which the overlay reaches through %s, changed", c, strings.Join(path, " → ")),
				Action:   "read the upstream change and check the overlay's use through this path still holds",
			})
		}
	}
	return out
}

// reach is every symbol reachable from root over Refs with its shortest
// path (root first, the symbol last); a symbol in avoid is never entered.
func reach(t *touchpoints.Tree, root string, avoid map[string]bool) map[string][]string {
	paths := map[string][]string{root: {root}}
	queue := []string{root}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		o := t.Object(s)
		if o == nil {
			continue
		}
		for _, r := range o.Refs {
			if _, seen := paths[r]; seen || avoid[r] {
				continue
			}
			paths[r] = append(append([]string(nil), paths[s]...), r)
			queue = append(queue, r)
		}
	}
	return paths
}

// corpusDiffers reports whether some corpus case differs under the two
// releases by differs.
func corpusDiffers(in *pass.Input, differs func(o, n stockxml.Case) bool) bool {
	for name, o := range in.OldXML {
		if n, ok := in.NewXML[name]; ok && differs(o, n) {
			return true
		}
	}
	return false
}
