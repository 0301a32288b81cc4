package xmloverlap

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/layout"
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
	// What the layers were recorded writing over the ex corpus, under the
	// old release (its explain goldens are rendered against it).
	rec, err := stockxml.Recorded(in.Old.Root)
	if err != nil {
		return nil, err
	}
	var out []finding.Finding
	for _, w := range in.Old.Writes {
		// A declared path an exercised layer never wrote is `strata-agent
		// layers --corpus`' report, not evidence here.
		paths, exact := stockxml.WritePaths(rec, w.Layer, w.Path)
		var hits []string
		all := map[string]bool{} // every case that differs, for --verbose
		for _, p := range paths {
			cases, err := differing(in, p)
			if err != nil {
				return nil, err
			}
			if len(cases) == 0 {
				continue
			}
			for _, c := range cases {
				all[c] = true
			}
			if exact {
				hits = append(hits, p+": "+Summary(cases))
			} else {
				hits = append(hits, Summary(cases))
			}
		}
		if len(hits) == 0 {
			continue
		}
		msg := fmt.Sprintf("layer %s writes %s, where the new release's stock XML differs (%s)", w.Layer, w.Path, strings.Join(hits, "; "))
		if exact {
			msg = fmt.Sprintf("layer %s writes %s, where the new release's stock XML differs at the paths it was recorded writing (%s)", w.Layer, w.Path, hitList(hits))
		}
		out = append(out, finding.Finding{
			Severity: finding.Error, Symbol: w.Path, Overlay: w.Pos,
			Message: msg,
			Action:  Action(in.Old.Layout),
			Detail:  slices.Sorted(maps.Keys(all)),
		})
	}
	return out, nil
}

// differing lists the corpus cases both releases render whose stock XML
// differs at path.
func differing(in *pass.Input, path string) ([]string, error) {
	var cases []string
	for _, name := range in.OldXML.Names() {
		nc, ok := in.NewXML[name]
		if !ok || nc.Refused() || in.OldXML[name].Refused() {
			// No evidence: stock-acceptance reports the refusal.
			continue
		}
		differ, err := Differs(in.OldXML[name], nc, path)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", name, err)
		}
		if differ {
			cases = append(cases, name)
		}
	}
	return cases, nil
}

func hitList(hits []string) string {
	const max = 3
	if len(hits) <= max {
		return strings.Join(hits, "; ")
	}
	return fmt.Sprintf("%s; and %d more paths", strings.Join(hits[:max], "; "), len(hits)-max)
}

// Action is what an xml-overlap asks of the maintainer: re-render every
// golden built over the stock XML with the layers (the layout's
// goldens.command), read their diff (goldens.dirs) and judge it.
func Action(l *layout.Layout) string {
	return "run `" + l.Goldens.Command + "`, read `git diff " + strings.Join(l.Goldens.Dirs, " ") + "` and check the layer still produces what it means to (no duplicate elements)"
}

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

// Summary names corpus cases for a message: the first three and how many
// more (--verbose lists them all).
func Summary(cases []string) string {
	const max = 3
	if len(cases) <= max {
		return "corpus " + strings.Join(cases, ", ")
	}
	return fmt.Sprintf("corpus %s and %d more", strings.Join(cases[:max], ", "), len(cases)-max)
}
