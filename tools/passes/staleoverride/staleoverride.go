package staleoverride

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/layeroverlap"
	"github.com/strataagent/strata/tools/stockxml"
)

//go:embed doc.go
var doc string

// Pass is the stale-override class.
var Pass = &pass.Pass{Name: "stale-override", Doc: pass.DocOf(doc), Run: run}

// layerFacts is one layer as this pass compares it.
type layerFacts struct {
	name      string
	pos       finding.Pos
	overrides []string
	paths     []string // what it writes under the release
}

func run(in *pass.Input) ([]finding.Finding, error) {
	if in.NewLayers == nil {
		return nil, nil
	}
	byName := map[string]layerFacts{}
	var all []layerFacts
	for _, g := range in.NewLayers.Go {
		f := layerFacts{name: g.Name, pos: goPos(in, g.Name), overrides: g.Overrides, paths: g.Writes}
		byName[g.Name] = f
		all = append(all, f)
	}
	for _, r := range in.NewLayers.Runs {
		f := layerFacts{name: r.Name, pos: finding.Pos{File: r.File, Line: r.Line}, overrides: r.Overrides, paths: layeroverlap.Paths(r)}
		byName[r.Name] = f
		all = append(all, f)
	}
	var out []finding.Finding
	for _, e := range all {
		for _, o := range e.overrides {
			l, ok := byName[o]
			var msg string
			switch {
			case !ok:
				msg = fmt.Sprintf("layer %s overrides %s, which names no layer of the new release", e.name, o)
			case !overlap(e.paths, l.paths):
				msg = fmt.Sprintf("layer %s overrides %s, which no longer writes any path %s writes (%s writes %s; %s writes %s)", e.name, o, e.name, e.name, list(e.paths), o, list(l.paths))
			default:
				continue
			}
			out = append(out, finding.Finding{
				Severity: finding.Error, Symbol: e.name + " overrides " + o, Overlay: e.pos,
				Message: msg,
				Action:  "drop " + o + " from the overrides of " + e.name + ", or make the override name the layer that now writes those paths",
			})
		}
	}
	return out, nil
}

// goPos is where a Go layer declares its first write in the old tree.
func goPos(in *pass.Input, name string) finding.Pos {
	if in.Old == nil {
		return finding.Pos{}
	}
	for _, w := range in.Old.Writes {
		if w.Layer == name {
			return w.Pos
		}
	}
	return finding.Pos{}
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			dx, dy := stockxml.Declared(x), stockxml.Declared(y)
			if stockxml.Covers(dx, dy) || stockxml.Covers(dy, dx) {
				return true
			}
		}
	}
	return false
}

func list(ps []string) string {
	if len(ps) == 0 {
		return "nothing"
	}
	return strings.Join(ps, ", ")
}
