package routechange

import (
	_ "embed"
	"fmt"
	"path"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/touchpoints"
)

//go:embed doc.go
var doc string

// Pass is the route-change class.
var Pass = &pass.Pass{Name: "route-change", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.Routes}}

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
	oldUp, newUp := Table(in.Old, touchpoints.Upstream), Table(in.New, touchpoints.Upstream)
	var out []finding.Finding
	for _, r := range in.Old.Routes {
		if r.Side != touchpoints.Overlay {
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
			if wf, ok := wrapped(r, oldUp, newUp); ok {
				out = append(out, wf)
			}
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// wrapped judges an overlay route under its own path that serves a stock
// route again (/ex/host/ping wraps /host/ping): the stock route removed,
// switched or moved upstream is a change to the wrapper too.
func wrapped(r touchpoints.Route, oldUp, newUp map[string]touchpoints.Route) (finding.Finding, bool) {
	if r.Wraps == "" {
		return finding.Finding{}, false
	}
	o, inOld := oldUp[r.Wraps]
	if !inOld {
		return finding.Finding{}, false
	}
	n, inNew := newUp[r.Wraps]
	f := finding.Finding{Severity: finding.Error, Symbol: r.Path, Overlay: r.Pos, Upstream: finding.Upstream{Old: finding.PosOf(o.Pos)}}
	if inNew {
		f.Upstream.New = finding.PosOf(n.Pos)
	}
	switch {
	case !inNew:
		f.Message = fmt.Sprintf("route %s wraps stock %s, which is no longer registered upstream", r.Path, r.Wraps)
		f.Action = "find the stock route's replacement and wrap that, or drop the overlay's route"
	case o.Async != n.Async:
		f.Message = fmt.Sprintf("route %s wraps stock %s, which switched from %s to %s upstream; the overlay registers it %s", r.Path, r.Wraps, mode(o.Async), mode(n.Async), mode(r.Async))
		f.Action = "register the overlay's route the same way as the stock one, or confirm callers expect the overlay's mode"
	case path.Dir(o.Pos.File) != path.Dir(n.Pos.File):
		f.Message = fmt.Sprintf("route %s wraps stock %s, which moved upstream from %s to %s", r.Path, r.Wraps, path.Dir(o.Pos.File), path.Dir(n.Pos.File))
		f.Action = "check that the overlay's route still serves the handler that now serves the stock path"
	default:
		return finding.Finding{}, false
	}
	return f, true
}
