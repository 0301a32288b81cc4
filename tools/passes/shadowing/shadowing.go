package shadowing

import (
	_ "embed"
	"fmt"
	"go/types"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/touchpoints"
)

//go:embed doc.go
var doc string

// Pass is the shadowing class.
var Pass = &pass.Pass{Name: "shadowing", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{Shadows, Promotions}}

func run(in *pass.Input) ([]finding.Finding, error) {
	var out []finding.Finding
	had := map[touchpoints.Shadow]bool{}
	for _, s := range in.Old.Shadows {
		s.Pos = touchpoints.Pos{}
		had[s] = true
	}
	// promoted: what the old side promoted through an embedding, so a
	// shadow of a member that was there before is the overlay's doing (a
	// new override, seen by check), not the release's.
	type key struct{ overlay, name string }
	promoted := map[key]string{}
	for _, p := range in.Old.Promotions {
		promoted[key{p.Overlay, p.Name}] = p.Symbol
	}
	for _, s := range in.New.Shadows {
		k := s
		k.Pos = touchpoints.Pos{}
		if had[k] {
			continue
		}
		f := finding.Finding{
			Severity: finding.Error, Symbol: s.Symbol, Overlay: s.Pos,
			Message: fmt.Sprintf("%s, new in this release, is shadowed by %s: on a %s the overlay's runs, on the embedded %s upstream's",
				s.Symbol, s.Member, short(s.Overlay), s.Embed),
			Action: fmt.Sprintf("decide which one callers mean: rename %s, or make it override %s on purpose (and call it where upstream would)", s.Member, s.Symbol),
		}
		if promoted[key{s.Overlay, s.Name}] == s.Symbol {
			f.Message = fmt.Sprintf("%s now shadows %s, which %s promoted from the embedded %s until now: on a %s the overlay's runs, on the embedded %s upstream's",
				s.Member, s.Symbol, short(s.Overlay), s.Embed, short(s.Overlay), s.Embed)
			f.Action = fmt.Sprintf("if %s overrides %s on purpose, run strata accept; else rename it", s.Member, s.Symbol)
		}
		if o := in.New.Object(s.Symbol); o != nil {
			f.Upstream.New = finding.PosOf(o.Pos)
		}
		if is := interfacesThrough(in.New, s.Embed, s.Name); len(is) > 0 {
			f.Message += fmt.Sprintf("; calls through %s reach upstream's %s, not the overlay's", strings.Join(is, ", "), s.Name)
		}
		out = append(out, f)
	}
	before := map[key]touchpoints.Promotion{}
	for _, p := range in.Old.Promotions {
		before[key{p.Overlay, p.Name}] = p
	}
	for _, p := range in.New.Promotions {
		o, ok := before[key{p.Overlay, p.Name}]
		if !ok || o.Symbol == p.Symbol || o.Symbol == "" {
			continue
		}
		f := finding.Finding{
			Severity: finding.Error, Symbol: o.Symbol, Overlay: p.Pos,
			Action: fmt.Sprintf("select the member through the embedded field you mean (x.%s.%s) or declare %s on %s", embedName(o.Symbol), p.Name, p.Name, short(p.Overlay)),
		}
		if oo := in.Old.Object(o.Symbol); oo != nil {
			f.Upstream.Old = finding.PosOf(oo.Pos)
		}
		sel := short(p.Overlay) + "." + p.Name
		if p.Symbol == "" {
			f.Message = fmt.Sprintf("%s, promoted from %s, is now ambiguous: the new release adds %s at the same depth through another embedded type", sel, o.Symbol, p.Name)
		} else {
			f.Message = fmt.Sprintf("%s, promoted from %s, now comes from %s", sel, o.Symbol, p.Symbol)
			if n := in.New.Object(p.Symbol); n != nil {
				f.Upstream.New = finding.PosOf(n.Pos)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// interfacesThrough lists the upstream interfaces with a method name that
// the embedded type (as *T) satisfies in the tree.
func interfacesThrough(t *touchpoints.Tree, embed, name string) []string {
	eo := t.Object(embed)
	if eo == nil {
		return nil
	}
	tn, ok := eo.Obj.(*types.TypeName)
	if !ok {
		return nil
	}
	ptr := types.NewPointer(tn.Type())
	var out []string
	for sym, o := range t.Objects {
		itn, ok := o.Obj.(*types.TypeName)
		if !ok || o.Kind != "type" {
			continue
		}
		it, ok := itn.Type().Underlying().(*types.Interface)
		if !ok || it.NumMethods() == 0 {
			continue
		}
		has := false
		for i := range it.NumMethods() {
			has = has || it.Method(i).Name() == name
		}
		if has && types.Implements(ptr, it) {
			out = append(out, sym)
		}
	}
	slices.Sort(out)
	return out
}

// short is an overlay type's name without its package path.
func short(sym string) string { return sym[strings.LastIndex(sym, ".")+1:] }

// embedName is the type a member symbol belongs to, as an embedded field
// is named: upstream/x.(*T).M and upstream/x.T.F give T.
func embedName(sym string) string {
	_, rest, _ := strings.Cut(sym[strings.LastIndex(sym, "/")+1:], ".")
	rest = strings.TrimPrefix(rest, "(*")
	t, _, _ := strings.Cut(rest, ")")
	t, _, _ = strings.Cut(t, ".")
	return t
}
