package behaviorchange

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/apibreak"
	"github.com/strataagent/strata/tools/passes/copydrift"
	"github.com/strataagent/strata/tools/passes/overridedrift"
	"github.com/strataagent/strata/tools/touchpoints"
)

//go:embed doc.go
var doc string

// Pass is the behavior-change class.
var Pass = &pass.Pass{
	Name: "behavior-change", Doc: pass.DocOf(doc), Run: run,
	Requires: []*pass.Pass{apibreak.Pass, copydrift.Pass, overridedrift.Pass},
}

// CorpusEntry is the function the stock XML harness runs on every corpus
// case (tools/stockxml): a change reached only through it shows in the
// corpus diff.
const CorpusEntry = "upstream/vmplugin.Build"

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
// to it. A changed function reached only through CorpusEntry is left to the
// corpus diff (info, and xml-overlap for layer paths) when some case renders
// differently; when none does, the change is one the corpus does not show
// (a new bound no case trips) and is reported.
func transitive(in *pass.Input, direct, done map[string]bool) []finding.Finding {
	avoidingCorpus := map[string]bool{}
	for _, u := range in.Old.Uses {
		if u.Call && u.Symbol != CorpusEntry {
			for s := range reach(in.New, u.Symbol, CorpusEntry) {
				avoidingCorpus[s] = true
			}
		}
	}
	// Without a rendered corpus (--no-xml, a harness that did not build,
	// a tree without layers) the builder's side is skipped as xml-overlap
	// skips it, and the caller says so.
	corpusShows := in.OldXML == nil || in.NewXML == nil || corpusDiffers(in)
	paths := map[string]map[string][]string{}
	var out []finding.Finding
	for _, u := range in.Old.Uses {
		if !u.Call {
			continue
		}
		if paths[u.Symbol] == nil {
			paths[u.Symbol] = reach(in.New, u.Symbol, "")
		}
		for c, path := range paths[u.Symbol] {
			if c == u.Symbol || direct[c] || done[c] || !changed(in, c) {
				continue
			}
			if corpusShows && !avoidingCorpus[c] {
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
// path (root first, the symbol last); avoid, when set, is never entered.
func reach(t *touchpoints.Tree, root, avoid string) map[string][]string {
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
			if _, seen := paths[r]; seen || r == avoid {
				continue
			}
			paths[r] = append(append([]string(nil), paths[s]...), r)
			queue = append(queue, r)
		}
	}
	return paths
}

// corpusDiffers reports whether some corpus case renders differently (XML
// or error) under the two releases.
func corpusDiffers(in *pass.Input) bool {
	if in.OldXML == nil || in.NewXML == nil {
		return false
	}
	for name, o := range in.OldXML {
		if n, ok := in.NewXML[name]; ok && n != o {
			return true
		}
	}
	return false
}
