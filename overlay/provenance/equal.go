package provenance

import (
	"reflect"
	"unsafe"
)

// equal reports whether a and b marshal alike because they hold the same
// values. It may say false for values that marshal alike (the walk then
// looks closer), never true for values that do not.
//
// The walk asks it of every element it passes, so addressable values of
// one type (all the walk has) are compared through a plan made once per
// type: field offsets and kinds, read in place (what generated code would
// do), instead of a reflect.Value per field.
func equal(a, b reflect.Value) bool {
	if a.CanAddr() && b.CanAddr() && a.Type() == b.Type() {
		return eqPlanOf(a.Type()).eq(unsafe.Pointer(a.UnsafeAddr()), unsafe.Pointer(b.UnsafeAddr()))
	}
	return equalValue(a, b)
}

// equalBy is equal with the plan of a's type at hand.
func equalBy(p *eqPlan, a, b reflect.Value) bool {
	if a.CanAddr() && b.CanAddr() {
		return p.eq(unsafe.Pointer(a.UnsafeAddr()), unsafe.Pointer(b.UnsafeAddr()))
	}
	return equalValue(a, b)
}

// eqPlan is how to compare two values of one type in memory.
type eqPlan struct {
	kind   reflect.Kind
	typ    reflect.Type
	size   uintptr
	elem   *eqPlan   // pointer, slice, array: the element's plan
	n      int       // array length
	fields []eqField // struct: the fields equality looks at (typeInfo.cmp)
}

type eqField struct {
	off uintptr
	p   *eqPlan
}

// sliceHeader is a slice's layout in memory.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

var eqPlans typeCache[*eqPlan]

func eqPlanOf(t reflect.Type) *eqPlan { return eqPlans.get(t, buildEq) }

func buildEq(t reflect.Type, building map[reflect.Type]*eqPlan) *eqPlan {
	if p, ok := eqPlans.load(t); ok {
		return p
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &eqPlan{kind: t.Kind(), typ: t, size: t.Size()}
	building[t] = p
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		p.elem = buildEq(t.Elem(), building)
	case reflect.Array:
		p.elem, p.n = buildEq(t.Elem(), building), t.Len()
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "XMLName" && f.Type == nameType && f.Tag.Get("xml") != "" {
				continue // a tagged XMLName's value is not marshalled
			}
			p.fields = append(p.fields, eqField{off: f.Offset, p: buildEq(f.Type, building)})
		}
	}
	return p
}

func (e *eqPlan) eq(p, q unsafe.Pointer) bool {
	switch e.kind {
	case reflect.String:
		return *(*string)(p) == *(*string)(q)
	case reflect.Bool:
		return *(*bool)(p) == *(*bool)(q)
	case reflect.Int:
		return *(*int)(p) == *(*int)(q)
	case reflect.Int8:
		return *(*int8)(p) == *(*int8)(q)
	case reflect.Int16:
		return *(*int16)(p) == *(*int16)(q)
	case reflect.Int32:
		return *(*int32)(p) == *(*int32)(q)
	case reflect.Int64:
		return *(*int64)(p) == *(*int64)(q)
	case reflect.Uint:
		return *(*uint)(p) == *(*uint)(q)
	case reflect.Uint8:
		return *(*uint8)(p) == *(*uint8)(q)
	case reflect.Uint16:
		return *(*uint16)(p) == *(*uint16)(q)
	case reflect.Uint32:
		return *(*uint32)(p) == *(*uint32)(q)
	case reflect.Uint64:
		return *(*uint64)(p) == *(*uint64)(q)
	case reflect.Uintptr:
		return *(*uintptr)(p) == *(*uintptr)(q)
	case reflect.Float32:
		return *(*float32)(p) == *(*float32)(q)
	case reflect.Float64:
		return *(*float64)(p) == *(*float64)(q)
	case reflect.Pointer:
		pa, pb := *(*unsafe.Pointer)(p), *(*unsafe.Pointer)(q)
		if pa == nil || pb == nil {
			return pa == pb
		}
		return pa == pb || e.elem.eq(pa, pb)
	case reflect.Struct:
		for i := range e.fields {
			f := &e.fields[i]
			if !f.p.eq(unsafe.Add(p, f.off), unsafe.Add(q, f.off)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		sa, sb := (*sliceHeader)(p), (*sliceHeader)(q)
		if sa.len != sb.len {
			return false
		}
		if sa.len == 0 || sa.data == sb.data {
			return true // nil and empty marshal alike
		}
		for i := range sa.len {
			off := uintptr(i) * e.elem.size
			if !e.elem.eq(unsafe.Add(sa.data, off), unsafe.Add(sb.data, off)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := range e.n {
			off := uintptr(i) * e.elem.size
			if !e.elem.eq(unsafe.Add(p, off), unsafe.Add(q, off)) {
				return false
			}
		}
		return true
	}
	return equalValue(reflect.NewAt(e.typ, p).Elem(), reflect.NewAt(e.typ, q).Elem())
}

// equalValue is equal through reflect, for values not addressable and the
// kinds the plan leaves to it (maps, interfaces).
func equalValue(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return a.Pointer() == b.Pointer() || equalValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for _, i := range infoOf(a.Type()).cmp {
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		n := a.Len()
		if n != b.Len() {
			return false
		}
		if n == 0 || a.Pointer() == b.Pointer() {
			return true // nil and empty marshal alike
		}
		for i := range n {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := range a.Len() {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return a.Elem().Type() == b.Elem().Type() && equalValue(a.Elem(), b.Elem())
	case reflect.Map:
		return a.CanInterface() && b.CanInterface() && reflect.DeepEqual(a.Interface(), b.Interface())
	}
	return false
}
