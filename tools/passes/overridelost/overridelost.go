package overridelost

import (
	_ "embed"
	"fmt"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
)

//go:embed doc.go
var doc string

// Pass is the override-lost class.
var Pass = &pass.Pass{Name: "override-lost", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.Types}}

func run(in *pass.Input) ([]finding.Finding, error) {
	var out []finding.Finding
	for _, o := range in.Old.Overrides {
		oldObj, newObj := in.Old.Object(o.Symbol), in.New.Object(o.Symbol)
		f := finding.Finding{
			Severity: finding.Error, Symbol: o.Symbol, Overlay: o.Pos,
			Action: fmt.Sprintf("find the new upstream method and rename or re-type %s to override it again, or drop the override", o.Overlay),
		}
		if oldObj != nil {
			f.Upstream.Old = finding.PosOf(oldObj.Pos)
		}
		switch {
		case newObj == nil:
			f.Message = fmt.Sprintf("%s overrides %s, which the new release removed or renamed: the override silently stops applying", o.Overlay, o.Symbol)
		case oldObj != nil && newObj.Type != oldObj.Type:
			f.Upstream.New = finding.PosOf(newObj.Pos)
			f.Message = fmt.Sprintf("%s overrides %s, whose type changed from %s to %s: the override no longer matches", o.Overlay, o.Symbol, oldObj.Type, newObj.Type)
		default:
			continue
		}
		out = append(out, f)
	}
	return out, nil
}
