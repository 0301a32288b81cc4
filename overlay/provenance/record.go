package provenance

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// Field is one child element field of a parent as it was before a layer
// changed it (Before).
type Field struct {
	name  string
	value any
}

// Before names a child element of a parent ("disk", "qemu:commandline", as
// in paths) and the value its field held before the layer's edit: a slice
// for repeated elements, a pointer or value otherwise; nil for a nil
// pointer or slice.
func Before(name string, value any) Field { return Field{name: name, value: value} }

// Rec collects the changes a layer reports as it makes them (ownership at
// write, as containerd NRI records it): the chain then neither copies nor
// compares the layer's part of the domain. A layer says which child fields
// of which element it changed and what they held before; Rec walks those
// fields alone, as a typed snapshot's walk would (Diff's paths, labels,
// values and summaries, in Diff's order). What a layer writes must leave
// the old values intact: it replaces an element it edits (a new pointer, a
// new slice), it does not change it through a pointer the old value shares.
// The chain's full diff cross-checks a recording layer exactly.
type Rec struct {
	out       []Change
	err       error
	summaries bool
}

// NewRec records after the changes in dst (a chain keeps one list for all
// its layers); summaries as for Typed.AppendChanges.
func NewRec(dst []Change, summaries bool) *Rec { return &Rec{out: dst, summaries: summaries} }

// Changes are the changes recorded, after those given to NewRec, and the
// first error a report met.
func (r *Rec) Changes() ([]Change, error) { return r.out, r.err }

// Changed records what differs, in the named child fields of parent (a
// pointer to the element's struct, as it is now), from the values before
// gives. path is parent's recorded path ("/domain/devices"); fields may
// come in any order and are recorded in the element's.
func (r *Rec) Changed(path string, parent any, before ...Field) {
	if r == nil || r.err != nil {
		return
	}
	if err := r.changed(path, parent, before); err != nil {
		r.err = fmt.Errorf("provenance: recording %s: %w", path, err)
	}
}

func (r *Rec) changed(path string, parent any, before []Field) error {
	pv := reflect.ValueOf(parent)
	if pv.Kind() != reflect.Pointer || pv.IsNil() || pv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("the parent is %T, not a pointer to an element's struct", parent)
	}
	b := pv.Elem()
	ti := infoOf(b.Type())
	if customMarshal(b.Type()) && !ti.plain {
		return fmt.Errorf("%s marshals itself: its children are not its fields", b.Type())
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	type named struct {
		elem int
		was  reflect.Value
	}
	fields := make([]named, 0, len(before))
	for _, f := range before {
		k, ok := ti.elemIndex(f.name)
		if !ok {
			return fmt.Errorf("%s has no child element %q", b.Type(), f.name)
		}
		ef := &ti.elems[k]
		if ef.shared {
			return fmt.Errorf("%s: another field of %s marshals to the same name", f.name, b.Type())
		}
		if slices.ContainsFunc(fields, func(n named) bool { return n.elem == k }) {
			return fmt.Errorf("%s is given twice", f.name)
		}
		t := b.Field(ef.index).Type()
		was := reflect.New(t).Elem() // addressable, as the walk compares in memory
		if f.value != nil {
			v := reflect.ValueOf(f.value)
			if !v.Type().AssignableTo(t) {
				return fmt.Errorf("%s was given as %s, not %s", f.name, v.Type(), t)
			}
			was.Set(v)
		}
		fields = append(fields, named{k, was})
	}
	slices.SortFunc(fields, func(x, y named) int { return x.elem - y.elem })

	w := getWalker(r.summaries)
	defer putWalker(w)
	var buf [4]group
	groups := buf[:0]
	for _, n := range fields {
		ef := &ti.elems[n.elem]
		now := b.Field(ef.index)
		if equalBy(ef.eq, n.was, now) {
			continue
		}
		g, err := w.group(name, ef, n.was, now)
		if err != nil {
			return err
		}
		groups = append(groups, g)
	}
	mark := len(r.out)
	if err := w.emit(&r.out, path, name, groups); err != nil {
		r.out = r.out[:mark]
		if errors.Is(err, errWhole) {
			return errors.New("the fields are not marshalled by their tags")
		}
		return err
	}
	return nil
}

// AddedXML records that fragment, one element as raw XML, was appended to
// the raw inner XML of the element at parent (DomainMetadata holds its
// children so): the walk would marshal and parse the parent before and
// after to find it. The fragment's element must be the only one of its
// name under parent, with its namespace declared on itself.
func (r *Rec) AddedXML(parent, fragment string) {
	if r == nil || r.err != nil {
		return
	}
	tag, attrs, children, text, ok := readSummary([]byte(fragment), nil)
	if !ok { // not as encoding/xml writes it: read it as Diff's parser does
		doc := etree.NewDocument()
		if err := doc.ReadFromString(fragment); err != nil || doc.Root() == nil || len(doc.ChildElements()) != 1 {
			r.err = fmt.Errorf("provenance: recording %s: the added XML is not one element (%v)", parent, err)
			return
		}
		e := doc.Root()
		tag, attrs, children, text = e.FullTag(), e.Attr, len(e.ChildElements()) > 0, strings.TrimSpace(e.Text())
	}
	c := Change{Path: parent + "/" + nsName(tag, attrs), Op: OpAdded}
	if r.summaries {
		c.New = summaryOf(tag, attrs, children, text)
	}
	r.out = append(r.out, c)
}

// nsName is elemName of an element given by its tag and attributes, when
// it declares its own namespace: the path names it by the fixed prefix of
// that namespace (Prefixes), whatever prefix the XML uses.
func nsName(tag string, attrs []etree.Attr) string {
	space, local, ok := strings.Cut(tag, ":")
	if !ok {
		space, local = "", tag
	}
	for _, a := range attrs {
		if (space != "" && a.Space == "xmlns" && a.Key == space) || (space == "" && a.Space == "" && a.Key == "xmlns") {
			if p, ok := Prefixes[a.Value]; ok {
				return p + ":" + local
			}
			break
		}
	}
	return tag
}
