package xmloverlap

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/stockxml"
)

//go:embed doc.go
var doc string

// Pass is the xml-overlap class.
var Pass = &pass.Pass{Name: "xml-overlap", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.StockXML}}

func run(in *pass.Input) ([]finding.Finding, error) {
	if in.OldXML == nil || in.NewXML == nil {
		return nil, nil
	}
	var out []finding.Finding
	for _, w := range in.Old.Writes {
		var cases []string
		for _, name := range in.OldXML.Names() {
			nc, ok := in.NewXML[name]
			if !ok {
				continue
			}
			differ, err := Differs(in.OldXML[name], nc, w.Path)
			if err != nil {
				return nil, fmt.Errorf("case %s: %w", name, err)
			}
			if differ {
				cases = append(cases, name)
			}
		}
		if len(cases) == 0 {
			continue
		}
		out = append(out, finding.Finding{
			Severity: finding.Error, Symbol: w.Path, Overlay: w.Pos,
			Message: fmt.Sprintf("layer %s writes %s, where the new release's stock XML differs (%s)", w.Layer, w.Path, summary(cases)),
			Action:  "run `" + RerenderCommand + "`, read `git diff overlay/layers/testdata overlay/agentex/testdata` and check the layer still produces what it means to (no duplicate elements)",
			Detail:  cases,
		})
	}
	return out, nil
}

// RerenderCommand re-renders every golden built over the stock XML with
// the layers: the layers' corpus and the agent's renders.
const RerenderCommand = "go test ./overlay/layers -run '^TestGoldenCorpus$' -update && go test ./overlay/agentex -run '^TestGoldenRender$' -update"

// Differs reports whether two renders differ at a declared domain path.
func Differs(a, b stockxml.Case, path string) (bool, error) {
	va, err := stockxml.At(a, path)
	if err != nil {
		return false, err
	}
	vb, err := stockxml.At(b, path)
	if err != nil {
		return false, err
	}
	return !slices.Equal(va, vb), nil
}

func summary(cases []string) string {
	const max = 3
	if len(cases) <= max {
		return "corpus " + strings.Join(cases, ", ")
	}
	return fmt.Sprintf("corpus %s and %d more", strings.Join(cases[:max], ", "), len(cases)-max)
}
