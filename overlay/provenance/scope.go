package provenance

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"libvirt.org/go/libvirtxml"
)

// Scope is the part of a domain that a set of declared writes reaches:
// the children of <domain> they name, and under <devices> the device kinds.
// A layer's writes are its claim on the domain (containerd NRI's owners,
// at the granularity a layer declares); the chain snapshots only the
// claimed part before and after the layer, so provenance costs what the
// layer's own part of the XML costs, not the whole document per layer.
type Scope struct {
	all      bool              // the whole domain (a write at the root)
	children map[string]*Scope // by element name; a nil *Scope: the whole element
	// planned is the scope resolved against the struct type it applies to
	// (a scope's level always meets one type: Domain, DomainDeviceList),
	// so a record makes no map look-ups per field.
	planned atomic.Pointer[scopePlan]
	// snaps are snapshot memories of this scope given back by Release:
	// the next Take copies into one, reusing its structs and arrays.
	snaps sync.Pool
}

// scopePlan is a scope resolved against a struct type.
type scopePlan struct {
	t     reflect.Type
	ok    bool         // every name has a field (else the scope is taken as the whole domain)
	picks []scopeField // by field index (fieldIndex): what pick copies
	elems []scopedElem // in the type's element order (typeInfo.elems): what the walk compares
}

type scopeField struct {
	index int
	sub   *Scope
}

type scopedElem struct {
	elem int // index in typeInfo.elems
	sub  *Scope
}

// plan resolves s against t, once per scope.
func (s *Scope) plan(t reflect.Type) *scopePlan {
	if p := s.planned.Load(); p != nil && p.t == t {
		return p
	}
	p := &scopePlan{t: t, ok: true}
	idx := fieldIndex(t)
	for name, sub := range s.children {
		i, ok := idx[name]
		if !ok {
			p.ok = false
			continue
		}
		p.picks = append(p.picks, scopeField{index: i, sub: sub})
	}
	slices.SortFunc(p.picks, func(a, b scopeField) int { return a.index - b.index })
	ti := infoOf(t)
	for i := range ti.elems {
		if sub, in := s.children[ti.elems[i].name]; in {
			p.elems = append(p.elems, scopedElem{elem: i, sub: sub})
		}
	}
	s.planned.CompareAndSwap(nil, p)
	return p
}

// ScopeOf compiles declared paths ("/domain/devices/disk/driver/@io") into
// the scope they reach ("devices" → "disk"). A scope is read-only once
// made, so the chain's per-layer calls share one per set of paths (a few
// thousand sets at most are kept: layers come from code and config).
func ScopeOf(declared []string) *Scope {
	// A chain asks once per layer of every start, with the layer's own
	// Writes slice: found by that slice first, without joining the paths.
	if len(declared) > 0 {
		if e, ok := scopesBySlice.Load(sliceKey{&declared[0], len(declared)}); ok {
			if e := e.(*scopeEntry); slices.Equal(e.declared, declared) {
				return e.scope
			}
		}
	}
	key := strings.Join(declared, "\n")
	if s, ok := scopes.Load(key); ok {
		rememberSlice(declared, s.(*Scope))
		return s.(*Scope)
	}
	s := compileScope(declared)
	if scopeCount.Add(1) <= maxScopes {
		scopes.Store(key, s)
		rememberSlice(declared, s)
	}
	return s
}

func rememberSlice(declared []string, s *Scope) {
	if len(declared) > 0 && sliceCount.Add(1) <= maxScopes {
		scopesBySlice.Store(sliceKey{&declared[0], len(declared)}, &scopeEntry{slices.Clone(declared), s})
	}
}

var (
	scopes     sync.Map // joined declared paths -> *Scope
	scopeCount atomic.Int64
	// scopesBySlice: a slice's first element and length -> its paths
	// (compared on every hit: a slice changed in place misses) and scope
	scopesBySlice sync.Map
	sliceCount    atomic.Int64
)

type sliceKey struct {
	first *string
	n     int
}

type scopeEntry struct {
	declared []string
	scope    *Scope
}

const maxScopes = 4096

func compileScope(declared []string) *Scope {
	s := &Scope{children: map[string]*Scope{}}
	for _, d := range declared {
		segs := strings.Split(strings.TrimPrefix(d, "/domain"), "/")
		if len(segs) < 2 || segs[1] == "" || strings.HasPrefix(segs[1], "@") {
			return &Scope{all: true}
		}
		top := segs[1]
		if top != "devices" || len(segs) < 3 || strings.HasPrefix(segs[2], "@") {
			s.children[top] = nil
			continue
		}
		sub, seen := s.children[top]
		if seen && sub == nil {
			continue // the whole of <devices> is in already
		}
		if sub == nil {
			sub = &Scope{children: map[string]*Scope{}}
			s.children[top] = sub
		}
		sub.children[segs[2]] = nil
	}
	return s
}

// All reports whether the scope is the whole domain.
func (s *Scope) All() bool { return s == nil || s.all }

// SnapshotScope is Snapshot of the scope's part of d alone: a domain
// holding only those elements, marshalled and parsed. Diffs of two such
// snapshots equal the full diff restricted to the scope, with the same
// paths (the predicates of repeated elements are computed among siblings
// of one name, which a scope always takes whole).
func SnapshotScope(d *libvirtxml.Domain, s *Scope) (*Tree, error) {
	if d == nil {
		return nil, fmt.Errorf("provenance: nil domain")
	}
	if s.All() {
		return Snapshot(d)
	}
	v, ok := pick(reflect.ValueOf(d).Elem(), s)
	if !ok {
		return Snapshot(d) // a name the typed domain has no field for: take it all
	}
	return Snapshot(v.Addr().Interface().(*libvirtxml.Domain))
}

// pick copies into a new value of v's type only the fields s names; false
// when s names an element the type has no field for.
func pick(v reflect.Value, s *Scope) (reflect.Value, bool) {
	out := reflect.New(v.Type()).Elem()
	p := s.plan(v.Type())
	if !p.ok {
		return out, false
	}
	for _, pf := range p.picks {
		i, sub := pf.index, pf.sub
		f := v.Field(i)
		if sub == nil {
			out.Field(i).Set(f)
			continue
		}
		switch f.Kind() {
		case reflect.Pointer:
			if f.IsNil() || f.Elem().Kind() != reflect.Struct {
				out.Field(i).Set(f)
				continue
			}
			inner, ok := pick(f.Elem(), sub)
			if !ok {
				return out, false
			}
			p := reflect.New(f.Elem().Type())
			p.Elem().Set(inner)
			out.Field(i).Set(p)
		case reflect.Struct:
			inner, ok := pick(f, sub)
			if !ok {
				return out, false
			}
			out.Field(i).Set(inner)
		default:
			out.Field(i).Set(f)
		}
	}
	return out, true
}

var fieldIndexes sync.Map // reflect.Type -> map[string]int

// copyScoped sets dst to a deep copy of pick(src, s), the scoped fields
// copied straight into dst (copyInto: what dst holds from an earlier copy
// of the same scope is reused); false as pick.
func copyScoped(dst, src reflect.Value, s *Scope, kept *[]sliceHeader) bool {
	p := s.plan(src.Type())
	if !p.ok {
		return false
	}
	for _, pf := range p.picks {
		f, out := src.Field(pf.index), dst.Field(pf.index)
		switch {
		case pf.sub != nil && f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.Struct:
			if out.IsNil() {
				out.Set(reflect.New(f.Type().Elem()))
			}
			if !copyScoped(out.Elem(), f.Elem(), pf.sub, kept) {
				return false
			}
		case pf.sub != nil && f.Kind() == reflect.Struct:
			if !copyScoped(out, f, pf.sub, kept) {
				return false
			}
		default:
			copyPlanOf(f.Type()).copyInto(out, f, kept)
		}
	}
	return true
}

// fieldIndex maps the element names of a libvirtxml struct's fields
// (namespaced ones with their fixed prefix, "qemu:commandline") to the
// field's index.
func fieldIndex(t reflect.Type) map[string]int {
	if m, ok := fieldIndexes.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("xml")
		if tag == "" {
			tag = typeName(t.Field(i).Type) // <qemu:commandline> is named by its type's XMLName
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" || strings.Contains(opts, "attr") || strings.Contains(opts, "chardata") || strings.Contains(opts, "innerxml") {
			continue
		}
		if space, local, ok := strings.Cut(name, " "); ok {
			if p, known := Prefixes[space]; known {
				name = p + ":" + local
			} else {
				name = local
			}
		}
		if _, dup := m[name]; !dup {
			m[name] = i
		}
	}
	fieldIndexes.Store(t, m)
	return m
}

// typeName is the xml tag of a struct type's XMLName field, "" if none.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	if f, ok := t.FieldByName("XMLName"); ok {
		return f.Tag.Get("xml")
	}
	return ""
}
