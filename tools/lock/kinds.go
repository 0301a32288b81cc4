package lock

import (
	"fmt"
	"path"
	"strings"

	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// The kinds of the standard passes. A pass with facts of its own declares
// its own Kind in its package and lists it in its Pass.Lock; nothing here
// changes.

// touched is every upstream symbol the overlay uses, embeds, overrides or
// copies, in file order.
func touched(t *touchpoints.Tree) []symAt {
	var out []symAt
	for _, u := range t.Uses {
		out = append(out, symAt{u.Symbol, u.Pos})
	}
	for _, e := range t.Embeds {
		out = append(out, symAt{e.Symbol, e.Pos})
	}
	for _, o := range t.Overrides {
		out = append(out, symAt{o.Symbol, o.Pos})
	}
	for _, s := range t.Stamps {
		out = append(out, symAt{s.Symbol, s.Pos})
	}
	return out
}

type symAt struct {
	sym string
	pos touchpoints.Pos
}

// object returns the old side's object for sym, creating it.
func (o *Old) object(sym string) *touchpoints.Object {
	if ob := o.Tree.Objects[sym]; ob != nil {
		return ob
	}
	ob := &touchpoints.Object{Symbol: sym}
	o.Tree.Objects[sym] = ob
	return ob
}

// Types records the type of every upstream object the overlay touches, as
// written ("type upstream/linux.QemuImgPath func() string"), so a change
// reads in the lock's diff and in the pass's message.
var Types = &Kind{
	Name: "type",
	Doc:  "the type of an upstream object the overlay touches (a type name: its underlying type)",
	Record: func(t *touchpoints.Tree, _ stockxml.Corpus) []Line {
		var ls []Line
		for _, s := range touched(t) {
			if o := t.Object(s.sym); o != nil {
				ls = append(ls, Line{Key: s.sym, Data: o.Type, Pos: s.pos})
			}
		}
		return ls
	},
	Restore: func(ls []Line, old *Old) error {
		for _, l := range ls {
			old.object(l.Key).Type = l.Data
		}
		return nil
	},
}

// Bodies records the normalised body hash of every upstream function the
// overlay touches, and its hash with route registrations read alike when
// that differs ("body S h1:... routes:h1:...").
var Bodies = &Kind{
	Name: "body",
	Doc:  "the normalised body of an upstream function the overlay touches",
	Record: func(t *touchpoints.Tree, _ stockxml.Corpus) []Line {
		var ls []Line
		for _, s := range touched(t) {
			o := t.Object(s.sym)
			if o == nil || o.Hash == "" {
				continue
			}
			d := o.Hash
			if o.RouteHash != "" && o.RouteHash != o.Hash {
				d += " routes:" + o.RouteHash
			}
			ls = append(ls, Line{Key: s.sym, Data: d, Pos: s.pos})
		}
		return ls
	},
	Restore: func(ls []Line, old *Old) error {
		for _, l := range ls {
			h, r, _ := strings.Cut(l.Data, " ")
			ob := old.object(l.Key)
			ob.Hash = h
			ob.RouteHash = h
			if rh, ok := strings.CutPrefix(r, "routes:"); ok {
				ob.RouteHash = rh
			} else if r != "" {
				return fmt.Errorf("%s: want \"h1:... [routes:h1:...]\", have %q", l.Key, l.Data)
			}
		}
		return nil
	},
}

// Routes records upstream's registration of every path the overlay serves
// or wraps: sync or async, and the folder registering it ("route
// /host/connect sync upstream/hostplugin"). A path upstream did not
// register has no line.
var Routes = &Kind{
	Name: "route",
	Doc:  "upstream's registration of a path the overlay registers or wraps",
	Record: func(t *touchpoints.Tree, _ stockxml.Corpus) []Line {
		want := map[string]bool{}
		for _, r := range t.Routes {
			if r.Side == touchpoints.Overlay {
				want[r.Path] = true
				if r.Wraps != "" {
					want[r.Wraps] = true
				}
			}
		}
		var ls []Line
		for _, r := range t.Routes {
			if r.Side == touchpoints.Upstream && want[r.Path] {
				mode := "sync"
				if r.Async {
					mode = "async"
				}
				ls = append(ls, Line{Key: r.Path, Data: mode + " " + path.Dir(r.Pos.File)})
			}
		}
		return ls
	},
	Restore: func(ls []Line, old *Old) error {
		for _, l := range ls {
			mode, dir, ok := strings.Cut(l.Data, " ")
			if !ok || (mode != "sync" && mode != "async") {
				return fmt.Errorf("%s: want \"sync|async <folder>\", have %q", l.Key, l.Data)
			}
			// The folder stands for the file: route-change compares folders.
			old.Tree.Routes = append(old.Tree.Routes, touchpoints.Route{Side: touchpoints.Upstream, Path: l.Key, Async: mode == "async", Pos: touchpoints.Pos{File: dir + "/"}})
		}
		return nil
	},
}

// Settings records upstream's definition of every key the overlay defines
// or reads: the type of its default. A key upstream did not define has no
// line.
var Settings = &Kind{
	Name: "setting",
	Doc:  "upstream's definition of a settings key the overlay defines or reads",
	Record: func(t *touchpoints.Tree, _ stockxml.Corpus) []Line {
		want := map[string]bool{}
		for _, s := range t.Settings {
			if s.Side == touchpoints.Overlay {
				want[s.Key] = true
			}
		}
		for _, r := range t.Reads {
			want[r.Key] = true
		}
		var ls []Line
		for _, s := range t.Settings {
			if s.Side == touchpoints.Upstream && want[s.Key] {
				ls = append(ls, Line{Key: s.Key, Data: s.Type})
			}
		}
		return ls
	},
	Restore: func(ls []Line, old *Old) error {
		for _, l := range ls {
			old.Tree.Settings = append(old.Tree.Settings, touchpoints.Setting{Side: touchpoints.Upstream, Key: l.Key, Type: l.Data})
		}
		return nil
	},
}

// StockXML records the stock XML of every corpus case when the overlay has
// layers: one line per case with the hash of its render, the render itself
// in <lock.dir>/xml/<case> (a reviewer reads the stock XML's diff there).
var StockXML = &Kind{
	Name:     "xml",
	Doc:      "the stock XML of a corpus case, kept in the lock folder's xml/",
	NeedsXML: true,
	Record: func(t *touchpoints.Tree, xml stockxml.Corpus) []Line {
		if len(t.Writes) == 0 {
			return nil
		}
		var ls []Line
		for _, name := range xml.Names() {
			b := []byte(xml[name].XML)
			if c := xml[name]; c.Refused() {
				b = []byte(errPrefix + c.Stage + ": " + c.Error)
			}
			ls = append(ls, Line{Key: name, Data: touchpoints.Hash(string(b)), Blob: b})
		}
		return ls
	},
	Restore: func(ls []Line, old *Old) error {
		if len(ls) == 0 {
			return nil
		}
		old.XML = stockxml.Corpus{}
		for _, l := range ls {
			b, err := ReadBlob(old.Dir, l)
			if err != nil {
				return err
			}
			if h := touchpoints.Hash(string(b)); h != l.Data {
				return fmt.Errorf("%s holds %s, the lock says %s (run strata accept)", BlobPath(old.Dir, l), h, l.Data)
			}
			c := stockxml.Case{XML: string(b)}
			if rest, ok := strings.CutPrefix(string(b), errPrefix); ok {
				stage, e, _ := strings.Cut(rest, ": ")
				c = stockxml.Case{Stage: stage, Error: e}
			}
			old.XML[l.Key] = c
		}
		return nil
	},
}

// errPrefix starts a refused case's blob: "refused <stage>: <error>".
const errPrefix = "refused "
