package stockacceptance

import (
	_ "embed"
	"fmt"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/touchpoints"
)

//go:embed doc.go
var doc string

// Pass is the stock-acceptance class.
var Pass = &pass.Pass{Name: "stock-acceptance", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.StockXML}}

func run(in *pass.Input) ([]finding.Finding, error) {
	if in.OldXML == nil || in.NewXML == nil {
		return nil, nil
	}
	pos, sym := entry(in.Old)
	var out []finding.Finding
	for _, name := range in.OldXML.Names() {
		oc := in.OldXML[name]
		nc, ok := in.NewXML[name]
		if !ok || oc.Refused() == nc.Refused() {
			continue
		}
		f := finding.Finding{Symbol: "corpus:" + name, Overlay: pos}
		if nc.Refused() {
			f.Severity = finding.Error
			f.Message = fmt.Sprintf("corpus case %s, which the old release accepts, is refused by the new release's stock %s: old: accepted; new: %s (the case is no xml-overlap evidence)", name, nc.Stage, bounded(nc.Error))
			f.Action = fmt.Sprintf("read the new release's refusal: a start the management node sends like %s fails after the merge (through %s); make the overlay or the command supply what the release now requires", name, sym)
		} else {
			f.Severity = finding.Info
			f.Message = fmt.Sprintf("corpus case %s, which the old release refuses, is accepted by the new release: old: %s: %s; new: accepted", name, oc.Stage, bounded(oc.Error))
			f.Action = "none needed; the case is no xml-overlap evidence"
		}
		out = append(out, f)
	}
	return out, nil
}

// entry is the overlay's first use of the stock entry points (the stock
// symbols through which the overlay hands a start command to the release,
// best first, as the layout names them): the finding sits there, the line
// a refusal comes back through.
func entry(t *touchpoints.Tree) (touchpoints.Pos, string) {
	for _, s := range t.Layout.EntrySymbols() {
		var first *touchpoints.Pos
		for _, u := range t.Uses {
			if u.Symbol == s && (first == nil || u.Pos.File < first.File || u.Pos.File == first.File && u.Pos.Line < first.Line) {
				first = &u.Pos
			}
		}
		if first != nil {
			return *first, s
		}
	}
	return touchpoints.Pos{}, "the stock start path"
}

// bounded cuts a refusal's text for the report.
func bounded(s string) string {
	const max = 300
	if len(s) <= max {
		return s
	}
	return s[:max] + fmt.Sprintf("... (%d bytes)", len(s))
}
