package settingschange

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

// Pass is the settings-change class.
var Pass = &pass.Pass{Name: "settings-change", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.Settings}}

// Table maps a key to its definition on one side.
func Table(t *touchpoints.Tree, side string) map[string]touchpoints.Setting {
	m := map[string]touchpoints.Setting{}
	for _, s := range t.Settings {
		if s.Side == side {
			if _, dup := m[s.Key]; !dup {
				m[s.Key] = s
			}
		}
	}
	return m
}

func run(in *pass.Input) ([]finding.Finding, error) {
	oldUp, newUp := Table(in.Old, touchpoints.Upstream), Table(in.New, touchpoints.Upstream)
	own := Table(in.Old, touchpoints.Overlay)
	var out []finding.Finding
	for _, s := range in.Old.Settings {
		if s.Side != touchpoints.Overlay {
			continue
		}
		if n, ok := newUp[s.Key]; ok {
			if _, before := oldUp[s.Key]; !before {
				out = append(out, finding.Finding{
					Severity: finding.Error, Symbol: s.Key, Overlay: s.Pos,
					Upstream: finding.Upstream{New: finding.PosOf(n.Pos)},
					Message:  fmt.Sprintf("upstream now defines settings key %s (%s), which the overlay defines too", s.Key, n.Type),
					Action:   "rename the overlay's key, or drop it and read upstream's",
				})
			}
		}
	}
	for _, r := range in.Old.Reads {
		if _, mine := own[r.Key]; mine {
			continue
		}
		o, ok := oldUp[r.Key]
		if !ok {
			continue
		}
		f := finding.Finding{Severity: finding.Error, Symbol: r.Key, Overlay: r.Pos, Upstream: finding.Upstream{Old: finding.PosOf(o.Pos)}}
		n, ok := newUp[r.Key]
		switch {
		case !ok:
			f.Message = fmt.Sprintf("settings key %s, which the overlay reads, is no longer defined upstream", r.Key)
			f.Action = "read the key that replaced it, or define it in the overlay"
		case n.Type != o.Type:
			f.Upstream.New = finding.PosOf(n.Pos)
			f.Message = fmt.Sprintf("settings key %s, which the overlay reads, changed type from %s to %s", r.Key, o.Type, n.Type)
			f.Action = "read it with the getter of the new type"
		default:
			continue
		}
		out = append(out, f)
	}
	return pass.FirstBy(out), nil
}
