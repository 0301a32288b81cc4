package provenance

import (
	"reflect"
	"unsafe"
)

// deepCopy sets dst (settable, zero or equal to src) to a copy of src
// sharing nothing a layer could change in place (strings are immutable,
// so shared).
//
// Take copies a layer's part of the domain before every layer, so the copy
// follows a plan made once per type: which fields hold pointers, slices or
// maps, and the plans of what they hold, with nil ones told from memory;
// no type look-up per struct and no reflect.Value for a nil field.
func deepCopy(dst, src reflect.Value) { copyPlanOf(src.Type()).copy(dst, src) }

// copyPlan is how to deep-copy a value of one type.
type copyPlan struct {
	kind reflect.Kind
	typ  reflect.Type
	flat bool        // nothing to follow: assignment copies it
	elem *copyPlan   // pointer, slice, array
	deep []copyField // struct: the exported fields that are not flat
}

type copyField struct {
	index int
	off   uintptr
	kind  reflect.Kind
	p     *copyPlan
}

var copyPlans typeCache[*copyPlan]

func copyPlanOf(t reflect.Type) *copyPlan { return copyPlans.get(t, buildCopy) }

func buildCopy(t reflect.Type, building map[reflect.Type]*copyPlan) *copyPlan {
	if p, ok := copyPlans.load(t); ok {
		return p
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &copyPlan{kind: t.Kind(), typ: t, flat: flatType(t)}
	building[t] = p
	if p.flat {
		return p
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		p.elem = buildCopy(t.Elem(), building)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.IsExported() && !flatType(f.Type) {
				p.deep = append(p.deep, copyField{index: i, off: f.Offset, kind: f.Type.Kind(), p: buildCopy(f.Type, building)})
			}
		}
	}
	return p
}

func (c *copyPlan) copy(dst, src reflect.Value) {
	if c.flat {
		dst.Set(src)
		return
	}
	switch c.kind {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(c.elem.typ)
		c.elem.copy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		dst.Set(src)
		// The assignment shares what the deep fields point to; each is
		// replaced by a copy (where src's is nil, dst's is nil already).
		var base unsafe.Pointer
		if src.CanAddr() {
			base = unsafe.Pointer(src.UnsafeAddr())
		}
		for i := range c.deep {
			f := &c.deep[i]
			if base != nil && nilAt(f.kind, unsafe.Add(base, f.off)) {
				continue
			}
			f.p.copy(dst.Field(f.index), src.Field(f.index))
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := reflect.MakeSlice(c.typ, src.Len(), src.Len())
		if c.elem.flat {
			reflect.Copy(n, src)
		} else {
			for i := range src.Len() {
				c.elem.copy(n.Index(i), src.Index(i))
			}
		}
		dst.Set(n)
	case reflect.Array:
		for i := range src.Len() {
			c.elem.copy(dst.Index(i), src.Index(i))
		}
	default:
		deepCopyValue(dst, src)
	}
}

// nilAt reports whether the pointer, slice or map at p is nil.
func nilAt(k reflect.Kind, p unsafe.Pointer) bool {
	switch k {
	case reflect.Pointer, reflect.Map:
		return *(*unsafe.Pointer)(p) == nil
	case reflect.Slice:
		return (*sliceHeader)(p).data == nil
	}
	return false
}

// deepCopyValue copies the kinds the plan leaves to reflect: maps and
// interfaces, their contents through deepCopy.
func deepCopyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		deepCopy(v, src.Elem())
		dst.Set(v)
	default:
		dst.Set(src)
	}
}

// copyInto sets dst to a copy of src as copy does, but reuses what dst
// holds from an earlier copy (a pooled snapshot): its pointed-to structs
// and slice arrays are overwritten in place, so a snapshot taken again of
// a domain of the same shape allocates nothing. dst must hold only memory
// of earlier copies (nothing shared with a live domain).
//
// kept is scratch space for the recursion (one per snapshot, reused).
func (c *copyPlan) copyInto(dst, src reflect.Value, kept *[]sliceHeader) {
	if c.flat {
		dst.Set(src)
		return
	}
	switch c.kind {
	case reflect.Pointer:
		switch {
		case src.IsNil():
			dst.SetZero()
		case dst.IsNil():
			p := reflect.New(c.elem.typ)
			c.elem.copy(p.Elem(), src.Elem())
			dst.Set(p)
		default:
			c.elem.copyInto(dst.Elem(), src.Elem(), kept)
		}
	case reflect.Struct:
		if !dst.CanAddr() || !src.CanAddr() {
			dst.SetZero()
			c.copy(dst, src)
			return
		}
		base, sbase := unsafe.Pointer(dst.UnsafeAddr()), unsafe.Pointer(src.UnsafeAddr())
		// dst's own pointers and slice arrays, kept across the assignment
		// below (which makes them src's) and put back before copying in.
		mark := len(*kept)
		for i := range c.deep {
			f := &c.deep[i]
			switch f.kind {
			case reflect.Pointer:
				*kept = append(*kept, sliceHeader{data: *(*unsafe.Pointer)(unsafe.Add(base, f.off))})
			case reflect.Slice:
				*kept = append(*kept, *(*sliceHeader)(unsafe.Add(base, f.off)))
			default:
				*kept = append(*kept, sliceHeader{})
			}
		}
		dst.Set(src)
		for i := range c.deep {
			f := &c.deep[i]
			if nilAt(f.kind, unsafe.Add(sbase, f.off)) {
				continue // nil in src, so in dst after the assignment
			}
			at, k := unsafe.Add(base, f.off), (*kept)[mark+i]
			switch f.kind {
			case reflect.Pointer:
				// stores of unsafe.Pointer carry the write barrier
				*(*unsafe.Pointer)(at) = k.data
				f.p.copyInto(dst.Field(f.index), src.Field(f.index), kept)
			case reflect.Slice:
				h := (*sliceHeader)(at)
				h.data, h.len, h.cap = k.data, k.len, k.cap
				f.p.copyInto(dst.Field(f.index), src.Field(f.index), kept)
			default: // inline structs, arrays, maps: equal to src now, copied fresh
				f.p.copy(dst.Field(f.index), src.Field(f.index))
			}
		}
		clear((*kept)[mark:])
		*kept = (*kept)[:mark]
	case reflect.Slice:
		n := src.Len()
		switch {
		case src.IsNil():
			dst.SetZero()
		case dst.IsNil() || dst.Cap() < n:
			s := reflect.MakeSlice(c.typ, n, n)
			if c.elem.flat {
				reflect.Copy(s, src)
			} else {
				for i := range n {
					c.elem.copy(s.Index(i), src.Index(i))
				}
			}
			dst.Set(s)
		default:
			dst.SetLen(n)
			if c.elem.flat {
				reflect.Copy(dst, src)
				return
			}
			for i := range n {
				c.elem.copyInto(dst.Index(i), src.Index(i), kept)
			}
		}
	case reflect.Array:
		for i := range src.Len() {
			c.elem.copyInto(dst.Index(i), src.Index(i), kept)
		}
	default:
		dst.SetZero()
		deepCopyValue(dst, src)
	}
}
