package behaviorchange

import (
	_ "embed"
	"fmt"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/apibreak"
	"github.com/strataagent/strata/tools/passes/copydrift"
	"github.com/strataagent/strata/tools/passes/overridedrift"
)

//go:embed doc.go
var doc string

// Pass is the behavior-change class.
var Pass = &pass.Pass{
	Name: "behavior-change", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.Bodies},
	Requires: []*pass.Pass{apibreak.Pass, copydrift.Pass, overridedrift.Pass},
}

func run(in *pass.Input) ([]finding.Finding, error) {
	done := in.Reported(apibreak.Pass.Name, copydrift.Pass.Name, overridedrift.Pass.Name)
	var out []finding.Finding
	for _, u := range in.Old.Uses {
		if !u.Call || done[u.Symbol] {
			continue
		}
		o, n := in.Old.Object(u.Symbol), in.New.Object(u.Symbol)
		if o == nil || n == nil || o.Hash == "" || n.Hash == "" || o.Hash == n.Hash {
			continue
		}
		if o.RouteHash != "" && o.RouteHash == n.RouteHash {
			continue // only route registrations changed: route-change judges them
		}
		out = append(out, finding.Finding{
			Severity: finding.Warning, Symbol: u.Symbol, Overlay: u.Pos,
			Upstream: finding.Upstream{Old: finding.PosOf(o.Pos), New: finding.PosOf(n.Pos)},
			Message:  fmt.Sprintf("the body of %s, which the overlay calls, changed", u.Symbol),
			Action:   "read the upstream change and check the overlay's use still holds",
		})
	}
	return pass.FirstBy(out), nil
}
