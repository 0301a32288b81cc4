package shadowing

import (
	"fmt"
	"strings"

	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// Shadows records each overlay member that shadows an upstream member it
// embeds ("shadow overlay.VmPluginEx.RebootVm overlay.(*VmPluginEx).RebootVm
// upstream/vmplugin.(*VmPlugin).RebootVm *upstream/vmplugin.VmPlugin"), so
// check tells a shadow the release made from one the overlay had.
var Shadows = &lock.Kind{
	Name:    "shadow",
	Doc:     "an overlay member that shadows a member of an embedded upstream type",
	Derived: true,
	Record: func(t *touchpoints.Tree, _ stockxml.Corpus) []lock.Line {
		var ls []lock.Line
		for _, s := range t.Shadows {
			ls = append(ls, lock.Line{Key: s.Overlay + "." + s.Name, Data: s.Member + " " + s.Symbol + " " + s.Embed, Pos: s.Pos})
		}
		return ls
	},
	Restore: func(ls []lock.Line, old *lock.Old) error {
		old.Tree.Shadows = nil
		for _, l := range ls {
			f := strings.Fields(l.Data)
			i := strings.LastIndex(l.Key, ".")
			if len(f) != 3 || i < 0 {
				return fmt.Errorf("shadow %s: want member, symbol and embedded type, got %q", l.Key, l.Data)
			}
			old.Tree.Shadows = append(old.Tree.Shadows, touchpoints.Shadow{
				Overlay: l.Key[:i], Name: l.Key[i+1:], Member: f[0], Symbol: f[1], Embed: f[2]})
		}
		return nil
	},
}

// Promotions records what each promoted name of an overlay type embedding
// an upstream type reaches ("promote overlay.VmPluginEx.StopVm
// upstream/vmplugin.(*VmPlugin).StopVm"; "ambiguous" when it is).
var Promotions = &lock.Kind{
	Name:    "promote",
	Doc:     "what a name promoted through an overlay type's upstream embedding reaches",
	Derived: true,
	Record: func(t *touchpoints.Tree, _ stockxml.Corpus) []lock.Line {
		var ls []lock.Line
		for _, p := range t.Promotions {
			sym := p.Symbol
			if sym == "" {
				sym = ambiguous
			}
			ls = append(ls, lock.Line{Key: p.Overlay + "." + p.Name, Data: sym, Pos: p.Pos})
		}
		return ls
	},
	Restore: func(ls []lock.Line, old *lock.Old) error {
		old.Tree.Promotions = nil
		for _, l := range ls {
			i := strings.LastIndex(l.Key, ".")
			if i < 0 {
				return fmt.Errorf("promote %s: no member name", l.Key)
			}
			sym := l.Data
			if sym == ambiguous {
				sym = ""
			}
			old.Tree.Promotions = append(old.Tree.Promotions, touchpoints.Promotion{Overlay: l.Key[:i], Name: l.Key[i+1:], Symbol: sym})
		}
		return nil
	},
}

const ambiguous = "ambiguous"
