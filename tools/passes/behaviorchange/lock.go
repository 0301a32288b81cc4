package behaviorchange

import (
	"maps"
	"slices"

	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// Reached records the body hash of every upstream function the overlay
// reaches only through upstream's own calls ("reach S h1:..."), so check
// sees a transitive change as diff does; the functions the overlay
// touches itself are lock.Bodies' lines.
var Reached = &lock.Kind{
	Name:    "reach",
	Doc:     "the normalised body of an upstream function the overlay reaches through upstream's calls",
	Derived: true,
	Record: func(t *touchpoints.Tree, _ stockxml.Corpus) []lock.Line {
		touched := map[string]bool{}
		for _, u := range t.Uses {
			touched[u.Symbol] = true
		}
		seen := map[string]bool{}
		for _, u := range t.Uses {
			if u.Call {
				for s := range reach(t, u.Symbol, nil) {
					seen[s] = true
				}
			}
		}
		var ls []lock.Line
		for _, s := range slices.Sorted(maps.Keys(seen)) {
			if o := t.Object(s); o != nil && o.Hash != "" && !touched[s] {
				ls = append(ls, lock.Line{Key: s, Data: o.Hash})
			}
		}
		return ls
	},
	Restore: func(ls []lock.Line, old *lock.Old) error {
		for _, l := range ls {
			o := old.Tree.Objects[l.Key]
			if o == nil {
				o = &touchpoints.Object{Symbol: l.Key}
				old.Tree.Objects[l.Key] = o
			}
			o.Hash = l.Data
		}
		return nil
	},
}
