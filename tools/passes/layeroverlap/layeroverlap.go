package layeroverlap

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/xmloverlap"
	"github.com/strataagent/strata/tools/stockxml"
)

//go:embed doc.go
var doc string

// Pass is the layer-overlap class.
var Pass = &pass.Pass{Name: "layer-overlap", Doc: pass.DocOf(doc), Run: run}

func run(in *pass.Input) ([]finding.Finding, error) {
	if in.OldLayers == nil || in.NewLayers == nil {
		return nil, nil
	}
	var out []finding.Finding
	for _, r := range in.OldLayers.Runs {
		paths := Paths(r)
		var hits []string
		all := map[string]bool{}
		for _, p := range paths {
			cases, err := differing(in.OldLayers.Stock, in.NewLayers.Stock, p)
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", r.Name, err)
			}
			if len(cases) == 0 {
				continue
			}
			for _, c := range cases {
				all[c] = true
			}
			hits = append(hits, p+": "+xmloverlap.Summary(cases))
		}
		if len(hits) == 0 {
			continue
		}
		out = append(out, finding.Finding{
			Severity: finding.Error, Symbol: "layers.declarative[name=" + r.Name + "]",
			Overlay: finding.Pos{File: r.File, Line: r.Line},
			Message: fmt.Sprintf("declarative layer %s writes where the new release's stock XML differs (%s)", r.Name, strings.Join(hits, "; ")),
			Action:  "render a VM the layer targets under the new release (`strata-agent render --diff`) and check the entry in " + r.File + " still produces what it means to",
			Detail:  slices.Sorted(maps.Keys(all)),
		})
	}
	return out, nil
}

// Paths is what an entry is compared at: the paths it changed in some
// case under the release, else its declared writes.
func Paths(r stockxml.LayerRun) []string {
	var ps []string
	for _, c := range slices.Sorted(maps.Keys(r.Changed)) {
		for _, p := range r.Changed[c] {
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
	}
	if len(ps) == 0 {
		ps = append(ps, r.Writes...)
	}
	slices.Sort(ps)
	return ps
}

func differing(old, new stockxml.Corpus, path string) ([]string, error) {
	var cases []string
	for _, name := range old.Names() {
		nc, ok := new[name]
		if !ok {
			continue
		}
		d, err := xmloverlap.Differs(old[name], nc, path)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", name, err)
		}
		if d {
			cases = append(cases, name)
		}
	}
	return cases, nil
}
