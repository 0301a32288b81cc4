package copydrift

import (
	_ "embed"
	"fmt"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
)

//go:embed doc.go
var doc string

// Pass is the copy-drift class.
var Pass = &pass.Pass{Name: "copy-drift", Doc: pass.DocOf(doc), Run: run}

func run(in *pass.Input) ([]finding.Finding, error) {
	var out []finding.Finding
	for _, s := range in.Old.Stamps {
		f := finding.Finding{Severity: finding.Error, Symbol: s.Symbol, Overlay: s.Pos}
		if o := in.Old.Object(s.Symbol); o != nil {
			f.Upstream.Old = finding.PosOf(o.Pos)
		}
		n := in.New.Object(s.Symbol)
		switch {
		case n == nil || n.Hash == "":
			f.Message = fmt.Sprintf("the original of copy %s, %s, is gone from the new release", s.Overlay, s.Symbol)
			f.Action = "find where upstream moved it, or keep the copy as the overlay's own code and drop the stamp"
		case n.Hash != s.Fingerprint:
			f.Upstream.New = finding.PosOf(n.Pos)
			f.Message = fmt.Sprintf("copy of %s drifted: the original changed (stamp %s, new %s)", s.Symbol, s.Fingerprint, n.Hash)
			f.Action = "run `strata refresh " + s.Symbol + "` to merge the upstream change into the copy"
		default:
			continue
		}
		out = append(out, f)
	}
	return out, nil
}
