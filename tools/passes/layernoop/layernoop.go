package layernoop

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/xmloverlap"
)

//go:embed doc.go
var doc string

// Pass is the layer-no-op class.
var Pass = &pass.Pass{Name: "layer-no-op", Doc: pass.DocOf(doc), Run: run}

func run(in *pass.Input) ([]finding.Finding, error) {
	if in.OldLayers == nil || in.NewLayers == nil {
		return nil, nil
	}
	var out []finding.Finding
	for _, o := range in.OldLayers.Runs {
		n := in.NewLayers.Runs.Find(o.File, o.Name)
		if len(o.Changed) == 0 || n == nil || len(n.Changed) > 0 {
			continue
		}
		cases := slices.Sorted(maps.Keys(o.Changed))
		var paths []string
		for _, c := range cases {
			for _, p := range o.Changed[c] {
				if !slices.Contains(paths, p) {
					paths = append(paths, p)
				}
			}
		}
		out = append(out, finding.Finding{
			Severity: finding.Error, Symbol: "layers.declarative[name=" + o.Name + "]",
			Overlay: finding.Pos{File: o.File, Line: o.Line},
			Message: fmt.Sprintf("declarative layer %s changed %s in %s under the old release and changes nothing in any corpus case under the new one: its selector no longer matches what the release emits", o.Name, strings.Join(paths, ", "), xmloverlap.Summary(cases)),
			Action:  "render a VM the layer targets under the new release (`strata-agent render --diff`) and fix the entry's path or match in " + o.File + ", or delete the entry",
			Detail:  cases,
		})
	}
	return out, nil
}
