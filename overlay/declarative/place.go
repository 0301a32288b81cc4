package declarative

import (
	"fmt"

	"github.com/strataagent/strata/overlay/layer"
)

// Place returns the whole layer order: goOrder with each entry's layer
// inserted before or after the Go layer it names. Several entries at one
// anchor keep their config order (so of two entries "after: uefi", the
// first runs first, right after uefi). Anchors are Go layers only, as
// Caddy places a plugin next to a standard directive only. Entries not yet
// validated are provisioned and validated here. An unknown anchor or a
// duplicate name is an *Error naming the entry.
func Place(goOrder []layer.Layer, decl []Entry) ([]layer.Layer, error) {
	index := map[string]int{}
	for i, l := range goOrder {
		index[l.Name] = i
	}
	before := make([][]layer.Layer, len(goOrder))
	after := make([][]layer.Layer, len(goOrder))
	names := map[string]int{}
	for i := range decl {
		e := &decl[i]
		if err := e.prepare(); err != nil {
			return nil, entryError(i, e.Name, err)
		}
		if _, ok := index[e.Name]; ok {
			return nil, entryError(i, e.Name, fieldErr("name", "%q is already a Go layer's name", e.Name))
		}
		if j, ok := names[e.Name]; ok {
			return nil, entryError(i, e.Name, fieldErr("name", "%q is also the name of layers.declarative[%d]", e.Name, j))
		}
		names[e.Name] = i
		anchor, field := e.After, "after"
		if e.Before != "" {
			anchor, field = e.Before, "before"
		}
		at, ok := index[anchor]
		if !ok {
			return nil, entryError(i, e.Name, fieldErr(field, "no Go layer named %q", anchor))
		}
		if field == "before" {
			before[at] = append(before[at], e.Layer())
		} else {
			after[at] = append(after[at], e.Layer())
		}
	}
	out := make([]layer.Layer, 0, len(goOrder)+len(decl))
	for i, l := range goOrder {
		out = append(out, before[i]...)
		out = append(out, l)
		out = append(out, after[i]...)
	}
	// An override of a layer that does not exist is a typo that would turn
	// an intended acknowledged win into a reported conflict: refuse it.
	all := map[string]bool{}
	for _, l := range out {
		all[l.Name] = true
	}
	for i := range decl {
		for j, o := range decl[i].Overrides {
			if !all[o] {
				return nil, entryError(i, decl[i].Name, fieldErr(fmt.Sprintf("overrides[%d]", j), "no layer named %q", o))
			}
		}
	}
	return out, nil
}
