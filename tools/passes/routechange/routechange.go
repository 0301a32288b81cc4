package routechange

import (
	_ "embed"
	"fmt"
	"path"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/touchpoints"
)

//go:embed doc.go
var doc string

// Pass is the route-change class.
var Pass = &pass.Pass{Name: "route-change", Doc: pass.DocOf(doc), Run: run}

// Table maps a path to its upstream registration.
func Table(t *touchpoints.Tree, side string) map[string]touchpoints.Route {
	m := map[string]touchpoints.Route{}
	for _, r := range t.Routes {
		if r.Side == side {
			if _, dup := m[r.Path]; !dup {
				m[r.Path] = r
			}
		}
	}
	return m
}

func mode(async bool) string {
	if async {
		return "async"
	}
	return "sync"
}

func run(in *pass.Input) ([]finding.Finding, error) {
	oldUp, newUp := Table(in.Old, "upstream"), Table(in.New, "upstream")
	var out []finding.Finding
	for _, r := range in.Old.Routes {
		if r.Side != "overlay" {
			continue
		}
		o, inOld := oldUp[r.Path]
		n, inNew := newUp[r.Path]
		f := finding.Finding{Severity: finding.Error, Symbol: r.Path, Overlay: r.Pos}
		if inOld {
			f.Upstream.Old = finding.PosOf(o.Pos)
		}
		if inNew {
			f.Upstream.New = finding.PosOf(n.Pos)
		}
		switch {
		case inOld && !inNew:
			f.Message = fmt.Sprintf("route %s, which the overlay serves again, is no longer registered upstream", r.Path)
			f.Action = "find the route's replacement upstream and serve that, or keep serving the old path deliberately"
		case inOld && o.Async != n.Async:
			f.Message = fmt.Sprintf("route %s switched from %s to %s upstream; the overlay registers it %s", r.Path, mode(o.Async), mode(n.Async), mode(r.Async))
			f.Action = "register the overlay's route the same way as upstream, or confirm the management node expects the overlay's mode"
		case inOld && path.Dir(o.Pos.File) != path.Dir(n.Pos.File):
			f.Message = fmt.Sprintf("route %s moved upstream from %s to %s", r.Path, path.Dir(o.Pos.File), path.Dir(n.Pos.File))
			f.Action = "check that the overlay's wrapper still decorates the handler that now serves the path"
		case !inOld && inNew:
			f.Message = fmt.Sprintf("upstream now registers %s (%s), a path the overlay registers itself", r.Path, mode(n.Async))
			f.Action = "rename the overlay's route or drop it in favour of upstream's"
		default:
			continue
		}
		out = append(out, f)
	}
	return out, nil
}
