package overridedrift

import (
	_ "embed"
	"fmt"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/copydrift"
)

//go:embed doc.go
var doc string

// Pass is the override-drift class.
var Pass = &pass.Pass{Name: "override-drift", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.Types, lock.Bodies}, Requires: []*pass.Pass{copydrift.Pass}}

func run(in *pass.Input) ([]finding.Finding, error) {
	copied := in.Reported(copydrift.Pass.Name)
	var out []finding.Finding
	for _, o := range in.Old.Overrides {
		if copied[o.Symbol] {
			continue // the override is a stamped copy: copy-drift says it, with refresh
		}
		oldObj, newObj := in.Old.Object(o.Symbol), in.New.Object(o.Symbol)
		if oldObj == nil || newObj == nil || oldObj.Type != newObj.Type || oldObj.Hash == newObj.Hash {
			continue
		}
		out = append(out, finding.Finding{
			Severity: finding.Warning, Symbol: o.Symbol, Overlay: o.Pos,
			Upstream: finding.Upstream{Old: finding.PosOf(oldObj.Pos), New: finding.PosOf(newObj.Pos)},
			Message:  fmt.Sprintf("the body of %s, which %s overrides, changed", o.Symbol, o.Overlay),
			Action:   "read the upstream change and carry it into the override if it applies",
		})
	}
	return out, nil
}
