package provenance

import (
	"bytes"
	"encoding"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/beevik/etree"
	"libvirt.org/go/libvirtxml"
)

// The typed diff: what Diff of two marshalled snapshots gives, computed on
// the typed Domain. A snapshot is a deep copy of the scope's part of the
// domain (no XML); after the layer, the copy and the domain are walked
// together and only what differs is looked at: a struct that encoding/xml
// marshals field by field is walked by its xml tags (elements by name,
// repeated ones labelled by KeyRules from their typed fields; leaves with
// text, and the type attribute DomainDisk and DomainInterface derive from
// their Source, read from fields too; an added or removed plain element
// summarised from its fields), and everything else (a type with its own
// MarshalXML, raw inner XML, a namespaced element) is marshalled alone,
// parsed, and diffed or summarised by the same code as Diff. So the paths,
// values and summaries are Diff's, and the cost is that of the changed
// elements. Where the walk cannot be sure an element's XML follows its
// fields, it marshals that element whole instead (exact, slower); FullDiff
// cross-checks the result against the whole-document diff. Copies and
// comparisons follow plans made once per type (copy.go, equal.go).

// Typed is a typed snapshot of a scope's part of a domain.
type Typed struct {
	scope *Scope
	v     reflect.Value // a *libvirtxml.Domain's element: the deep copy
	mem   *snapMem      // v's memory, given back to from's pool by Release
	from  *Scope
}

// snapMem is one snapshot's memory: the copy's root, the copy's scratch
// and the Typed handed out.
type snapMem struct {
	root  libvirtxml.Domain
	kept  []sliceHeader
	typed Typed
}

// Take deep-copies the scope's part of d. Give the snapshot back with
// Release once its changes are read: the next Take of the same scope then
// copies into its memory (a chain takes one per layer of every start).
func Take(d *libvirtxml.Domain, s *Scope) (*Typed, error) {
	if d == nil {
		return nil, errors.New("provenance: nil domain")
	}
	v := reflect.ValueOf(d).Elem()
	if s != nil {
		m, _ := s.snaps.Get().(*snapMem)
		if m == nil {
			m = &snapMem{}
		}
		cp := reflect.ValueOf(&m.root).Elem()
		ok := true
		if s.all {
			copyPlanOf(domainType).copyInto(cp, v, &m.kept)
		} else {
			ok = copyScoped(cp, v, s, &m.kept)
		}
		if ok {
			m.typed = Typed{scope: s, v: cp, mem: m, from: s}
			return &m.typed, nil
		}
		// m is dropped: the scope names an element the type has no field for
	}
	// the whole domain, as SnapshotScope takes it for such a scope
	cp := reflect.New(domainType).Elem()
	deepCopy(cp, v)
	return &Typed{scope: &Scope{all: true}, v: cp}, nil
}

// Release gives the snapshot's memory back for the next Take of its scope;
// t must not be used after. The changes read from it stay valid: they
// share only strings with it.
func (t *Typed) Release() {
	if t == nil || !t.v.IsValid() {
		return
	}
	m, from := t.mem, t.from
	t.v, t.mem = reflect.Value{}, nil // a use after Release errs, until the next Take
	if m != nil && from != nil {
		from.snaps.Put(m)
	}
}

// Changes lists what changed in the scope's part of d since Take, as Diff
// of the two parts' marshalled XML would, with Layer left empty.
func (t *Typed) Changes(d *libvirtxml.Domain) ([]Change, error) {
	out, err := t.AppendChanges(nil, d, true)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// AppendChanges is Changes appended to dst (a chain keeps one list for
// all its layers). Without summaries, an added or removed element's New or
// Old is "" instead of its summary: a start needs the paths, render
// --explain the summaries, and they cost a marshal of the element.
func (t *Typed) AppendChanges(dst []Change, d *libvirtxml.Domain, summaries bool) ([]Change, error) {
	if d == nil {
		return dst, errors.New("provenance: nil domain")
	}
	if !t.v.IsValid() {
		return dst, errors.New("provenance: snapshot used after Release")
	}
	live := reflect.ValueOf(d).Elem()
	w := getWalker(summaries)
	defer putWalker(w)
	mark := len(dst)
	out := dst
	if t.scope.All() {
		if equal(t.v, live) {
			return dst, nil
		}
		if err := w.elem(&out, "/domain", t.v, live, &rootField); err != nil {
			return dst, err
		}
		return out, nil
	}
	// The scoped fields of the live domain, read in place.
	err := w.fields(&out, "/domain", "domain", t.v, live, infoOf(domainType), &rootField, t.scope)
	if errors.Is(err, errWhole) {
		out = out[:mark]
		after, _ := scoped(d, t.scope)
		err = w.whole(&out, "/domain", t.v, after, &rootField)
	}
	if err != nil {
		return dst, err
	}
	return out, nil
}

var domainType = reflect.TypeFor[libvirtxml.Domain]()

// rootField describes <domain> as an element of no parent.
var rootField = elemField{name: "domain", byType: true, item: domainType}

// scoped is the scope's part of d (the fields it names, shared with d) and
// the scope in effect (the whole domain where the scope names an element
// the type has no field for, as SnapshotScope does).
func scoped(d *libvirtxml.Domain, s *Scope) (reflect.Value, *Scope) {
	v := reflect.ValueOf(d).Elem()
	if s.All() {
		return v, s
	}
	part, ok := pick(v, s)
	if !ok {
		return v, &Scope{all: true}
	}
	return part, s
}

// Contains reports whether a declared path lies in the scope's part of a
// domain: the typed diff of the scope must then have recorded its change.
func (s *Scope) Contains(declared string) bool {
	if s.All() {
		return true
	}
	segs := strings.Split(strings.TrimPrefix(declared, "/domain"), "/")
	if len(segs) < 2 {
		return false
	}
	sub, ok := s.children[segs[1]]
	switch {
	case !ok:
		return false
	case sub == nil || len(segs) < 3: // the whole element, or its presence
		return true
	}
	_, ok = sub.children[segs[2]]
	return ok
}

// shape is how a field holds its elements.
type shape uint8

const (
	shapeOne   shape = iota // a pointer: no element when nil
	shapeValue              // a value: one element (none for an empty omitempty text value)
	shapeSlice              // one element per item
)

// elemField is a field marshalled as child elements.
type elemField struct {
	index  int
	name   string   // as a path segment: local name, or prefix:local (Prefixes)
	xname  xml.Name // the start element to marshal one item with
	byType bool     // the item type's XMLName tag names the element: marshal without a template
	shape  shape
	omit   bool // omitempty
	item   reflect.Type
	shared bool // another field marshals to the same name: labels span both
	// ns: the element is in a namespace, which its children's names
	// inherit; the walk does not descend into it.
	ns bool
	// Linked when the parent's info is built: the plans comparing the
	// field and one item, and the item type's info (struct items).
	eq, itemEq *eqPlan
	info       *typeInfo
}

type attrField struct {
	name   string
	index  int
	omit   bool
	simple bool // a string, integer or boolean (or a pointer to one) with no marshaller of its own
}

// typeInfo is what the walk knows of a struct type.
type typeInfo struct {
	// plain: encoding/xml marshals the type field by field from its tags
	// (no MarshalXML, no text, raw XML or nested tags), or it is a known
	// wrapper that does the same while check holds.
	plain bool
	check func(reflect.Value) bool
	own   []int // attribute fields, copied into a shell to marshal them alone
	// startFrom: fields a wrapper's MarshalXML derives attributes from
	// (a disk's type from its source); a shell carries them too.
	startFrom []int
	// lead is the type attribute a wrapper's MarshalXML writes before the
	// tagged ones, read from the typed value (false: none written).
	lead     func(reflect.Value) (string, string, bool)
	text     int         // the chardata string field of a leaf element (attributes and text only), -1 if none
	attrList []attrField // in field order, as encoding/xml writes them
	elems    []elemField
	cmp      []int // fields equality looks at (not a tagged XMLName)
	// delegate and emitter: the type's entries in delegates and emitters
	// (nil if none), kept here so the walk makes no map look-up per value.
	delegate func(reflect.Value) (reflect.Value, string, bool)
	emitter  func(reflect.Value) bool
}

// elemIndex is the index in elems of the (first) element field named name.
// A scan, not a map: an info is kept for every type a domain reaches, and
// a map per type was most of the provenance's memory, which every GC marks.
func (ti *typeInfo) elemIndex(name string) (int, bool) {
	for i := range ti.elems {
		if ti.elems[i].name == name {
			return i, true
		}
	}
	return -1, false
}

// attr is the attribute field named name (the last, as a map built in
// field order would keep).
func (ti *typeInfo) attr(name string) (attrField, bool) {
	for i := len(ti.attrList) - 1; i >= 0; i-- {
		if ti.attrList[i].name == name {
			return ti.attrList[i], true
		}
	}
	return attrField{}, false
}

var (
	typeInfos     typeCache[*typeInfo]
	marshalerType = reflect.TypeFor[xml.Marshaler]()
	attrMarshaler = reflect.TypeFor[xml.MarshalerAttr]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	nameType      = reflect.TypeFor[xml.Name]()
)

// wrappers are libvirtxml types whose MarshalXML marshals their own fields
// as tagged, while the check holds: DomainDeviceList only moves IOMMU into
// IOMMUs when the list is empty (and fails when they differ).
// DomainDisk and DomainInterface add a type attribute derived from their
// Source, then marshal their fields as tagged.
type wrapper struct {
	check     func(reflect.Value) bool // nil: always
	startFrom []string
	lead      func(reflect.Value) (string, string, bool)
}

var wrappers map[reflect.Type]wrapper

func init() {
	wrappers = map[reflect.Type]wrapper{
		reflect.TypeFor[libvirtxml.DomainDeviceList](): {check: func(v reflect.Value) bool {
			d := v.Addr().Interface().(*libvirtxml.DomainDeviceList)
			return d.IOMMU == nil || (len(d.IOMMUs) > 0 && equal(reflect.ValueOf(d.IOMMU).Elem(), reflect.ValueOf(&d.IOMMUs[0]).Elem()))
		}},
		reflect.TypeFor[libvirtxml.DomainDisk]():      {startFrom: []string{"Source"}, lead: diskType},
		reflect.TypeFor[libvirtxml.DomainInterface](): {startFrom: []string{"Source"}, lead: interfaceType},
		reflect.TypeFor[libvirtxml.DomainChannel](): {startFrom: []string{"Source"}, lead: chardevType(func(v reflect.Value) *libvirtxml.DomainChardevSource {
			return v.Addr().Interface().(*libvirtxml.DomainChannel).Source
		})},
		reflect.TypeFor[libvirtxml.DomainRedirDev](): {startFrom: []string{"Source"}, lead: chardevType(func(v reflect.Value) *libvirtxml.DomainChardevSource {
			return v.Addr().Interface().(*libvirtxml.DomainRedirDev).Source
		})},
	}
}

// delegates are libvirtxml types whose MarshalXML writes the element as
// one of their fields (the first set, in the order it tests them) with a
// type attribute naming which: a key is read from that field's
// attributes. False when none is set (no element is written).
var delegates = map[reflect.Type]func(reflect.Value) (reflect.Value, string, bool){
	reflect.TypeFor[libvirtxml.DomainChannelTarget](): func(v reflect.Value) (reflect.Value, string, bool) {
		t := v.Addr().Interface().(*libvirtxml.DomainChannelTarget)
		switch {
		case t.VirtIO != nil:
			return reflect.ValueOf(t.VirtIO).Elem(), "virtio", true
		case t.Xen != nil:
			return reflect.ValueOf(t.Xen).Elem(), "xen", true
		case t.GuestFWD != nil:
			return reflect.ValueOf(t.GuestFWD).Elem(), "guestfwd", true
		}
		return reflect.Value{}, "", false
	},
}

// diskType is the type attribute DomainDisk.MarshalXML derives from its
// Source: the first source kind set, in the order it tests them.
func diskType(v reflect.Value) (string, string, bool) {
	s := v.Addr().Interface().(*libvirtxml.DomainDisk).Source
	if s == nil {
		return "", "", false
	}
	return typeAttr([]kind{
		{s.File != nil, "file"}, {s.Block != nil, "block"}, {s.Dir != nil, "dir"}, {s.Network != nil, "network"},
		{s.Volume != nil, "volume"}, {s.NVME != nil, "nvme"}, {s.VHostUser != nil, "vhostuser"},
		{s.VHostVDPA != nil, "vhostvdpa"}, {s.Ctl != nil, "ctl"},
	})
}

// kind is one source kind a wrapper's MarshalXML tests, in its order.
type kind struct {
	set  bool
	name string
}

// typeAttr is the type attribute named by the first kind set, if any.
func typeAttr(kinds []kind) (string, string, bool) {
	for _, k := range kinds {
		if k.set {
			return "type", k.name, true
		}
	}
	return "", "", false
}

// chardevType is diskType for the devices whose MarshalXML names their
// character-device source's kind (DomainChannel, DomainRedirDev), in the
// order libvirtxml tests the kinds.
func chardevType(source func(reflect.Value) *libvirtxml.DomainChardevSource) func(reflect.Value) (string, string, bool) {
	return func(v reflect.Value) (string, string, bool) {
		s := source(v)
		if s == nil {
			return "", "", false
		}
		return typeAttr([]kind{
			{s.Null != nil, "null"}, {s.VC != nil, "vc"}, {s.Pty != nil, "pty"}, {s.Dev != nil, "dev"},
			{s.File != nil, "file"}, {s.Pipe != nil, "pipe"}, {s.StdIO != nil, "stdio"}, {s.UDP != nil, "udp"},
			{s.TCP != nil, "tcp"}, {s.UNIX != nil, "unix"}, {s.SpiceVMC != nil, "spicevmc"},
			{s.SpicePort != nil, "spiceport"}, {s.NMDM != nil, "nmdm"}, {s.QEMUVDAgent != nil, "qemu-vdagent"},
			{s.DBus != nil, "dbus"},
		})
	}
}

// interfaceType is diskType for DomainInterface.MarshalXML.
func interfaceType(v reflect.Value) (string, string, bool) {
	s := v.Addr().Interface().(*libvirtxml.DomainInterface).Source
	if s == nil {
		return "", "", false
	}
	return typeAttr([]kind{
		{s.User != nil, "user"}, {s.Ethernet != nil, "ethernet"}, {s.VHostUser != nil, "vhostuser"},
		{s.Server != nil, "server"}, {s.Client != nil, "client"}, {s.MCast != nil, "mcast"},
		{s.Network != nil, "network"}, {s.Bridge != nil, "bridge"}, {s.Internal != nil, "internal"},
		{s.Direct != nil, "direct"}, {s.Hostdev != nil, "hostdev"}, {s.UDP != nil, "udp"},
		{s.VDPA != nil, "vdpa"}, {s.Null != nil, "null"}, {s.VDS != nil, "vds"},
	})
}

func customMarshal(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(marshalerType) || pt.Implements(marshalerType) || t.Implements(textMarshaler) || pt.Implements(textMarshaler)
}

// infoOf is what the walk knows of struct type t, made once: t's info and
// those of the struct types its element fields hold are built together and
// linked (elemField.info), so the walk looks types up only at its start.
func infoOf(t reflect.Type) *typeInfo { return typeInfos.get(t, buildInfo) }

func buildInfo(t reflect.Type, building map[reflect.Type]*typeInfo) *typeInfo {
	if ti, ok := typeInfos.load(t); ok {
		return ti
	}
	if ti, ok := building[t]; ok {
		return ti
	}
	ti := &typeInfo{text: -1, delegate: delegates[t], emitter: emitters[t]}
	building[t] = ti
	wr, wrapped := wrappers[t]
	ti.check, ti.lead = wr.check, wr.lead
	ti.plain = !customMarshal(t) || wrapped
	for _, name := range wr.startFrom {
		if f, ok := t.FieldByName(name); ok && len(f.Index) == 1 {
			ti.startFrom = append(ti.startFrom, f.Index[0])
		} else {
			ti.plain = false
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("xml")
		if f.Name == "XMLName" && f.Type == nameType {
			if tag == "" {
				ti.cmp = append(ti.cmp, i) // an untagged XMLName's value names the element
				ti.plain = false
			}
			continue
		}
		ti.cmp = append(ti.cmp, i)
		if tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous {
			ti.plain = false
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		flags := map[string]bool{}
		for _, o := range strings.Split(opts, ",") {
			flags[o] = true
		}
		switch {
		case flags["attr"]:
			if strings.Contains(name, " ") {
				ti.plain = false
			}
			if name == "" {
				name = f.Name
			}
			af := attrField{name: name, index: i, omit: flags["omitempty"], simple: simpleType(f.Type)}
			ti.attrList = append(ti.attrList, af)
			ti.own = append(ti.own, i)
			continue
		case flags["chardata"] && name == "" && ti.text < 0 && f.Type.Kind() == reflect.String && simpleType(f.Type):
			// a leaf's text; a leaf only (see below): etree's Text is the
			// text before the first child, which fields alone cannot tell
			ti.text = i
			ti.own = append(ti.own, i)
			continue
		case flags["chardata"] || flags["cdata"] || flags["innerxml"] || flags["comment"] || flags["any"] || strings.Contains(name, ">"):
			ti.plain = false
			continue
		}
		ef, ok := elementField(i, f, name, flags["omitempty"])
		if !ok {
			ti.plain = false
			continue
		}
		if j, dup := ti.elemIndex(ef.name); dup {
			ef.shared = true
			ti.elems[j].shared = true
		}
		ti.elems = append(ti.elems, ef)
	}
	if ti.text >= 0 && (len(ti.elems) > 0 || wrapped) {
		ti.plain = false
	}
	if _, dup := ti.attr("type"); ti.lead != nil && dup {
		ti.lead = nil // a tagged type attribute besides the derived one: not read from fields
	}
	for i := range ti.elems {
		ef := &ti.elems[i]
		ef.eq, ef.itemEq = eqPlanOf(t.Field(ef.index).Type), eqPlanOf(ef.item)
		if ef.item.Kind() == reflect.Struct {
			ef.info = buildInfo(ef.item, building)
		}
	}
	return ti
}

// elementField describes a field marshalled as elements; false for a kind
// the walk does not follow (the parent is then marshalled whole).
func elementField(i int, f reflect.StructField, name string, omit bool) (elemField, bool) {
	ef := elemField{index: i, omit: omit}
	t := f.Type
	switch t.Kind() {
	case reflect.Pointer:
		ef.shape, t = shapeOne, t.Elem()
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return ef, false
		}
		ef.shape, t = shapeSlice, t.Elem()
	default:
		ef.shape = shapeValue
	}
	switch t.Kind() {
	case reflect.Struct, reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
	default:
		return ef, false
	}
	ef.item = t
	space, local := "", name
	if s, l, ok := strings.Cut(name, " "); ok {
		space, local = s, l
	}
	xmlName, hasXMLName := "", false
	if t.Kind() == reflect.Struct {
		if xf, ok := t.FieldByName("XMLName"); ok && xf.Type == nameType {
			xmlName, hasXMLName = xf.Tag.Get("xml"), xf.Tag.Get("xml") != ""
		}
	}
	if local == "" && hasXMLName {
		space, local = "", xmlName
		if s, l, ok := strings.Cut(xmlName, " "); ok {
			space, local = s, l
		}
	}
	if local == "" {
		local = f.Name
	}
	ef.xname = xml.Name{Space: space, Local: local}
	// Without MarshalXML, the item's XMLName tag names the element (it
	// outranks the field's tag in encoding/xml); with one, the field's.
	if hasXMLName && !customMarshal(t) {
		ef.byType = true
		space, local = "", xmlName
		if s, l, ok := strings.Cut(xmlName, " "); ok {
			space, local = s, l
		}
	}
	ef.name = local
	ef.ns = space != ""
	if p, ok := Prefixes[space]; ok {
		ef.name = p + ":" + local
	}
	return ef, true
}

var flatTypes sync.Map // reflect.Type -> bool

func flatType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	case reflect.Array:
		return flatType(t.Elem())
	case reflect.Struct:
		if f, ok := flatTypes.Load(t); ok {
			return f.(bool)
		}
		flat := true
		for i := range t.NumField() {
			if !flatType(t.Field(i).Type) {
				flat = false
				break
			}
		}
		flatTypes.Store(t, flat)
		return flat
	}
	return true
}

// errWhole: the walk cannot follow this element's XML by its fields; the
// element is diffed from its marshalled form instead.
var errWhole = errors.New("provenance: element marshalled whole")

// walker diffs typed values, marshalling single elements as it needs them.
type walker struct {
	buf bytes.Buffer
	enc *xml.Encoder
	key []byte // keyLabel's buffer
	sum []byte // summaryOf's
	// vals holds the groups' items (items), strs their labels, for one
	// AppendChanges: sub-slices of them stay valid as they grow.
	vals  []reflect.Value
	strs  []string
	keyed []string // labels' buffer
	// typedAttrs' buffers, consumed before the next call
	attrsA, attrsB []etree.Attr
	// noSummaries: an added or removed element is recorded without its
	// summary (AppendChanges)
	noSummaries bool
}

// walkers keep their encoders (and its 4 KiB buffer) between records.
var walkers = sync.Pool{New: func() any { return new(walker) }}

func getWalker(summaries bool) *walker {
	w := walkers.Get().(*walker)
	w.noSummaries = !summaries
	return w
}

func putWalker(w *walker) {
	clear(w.vals) // no snapshot or domain kept alive by the pool
	clear(w.strs)
	w.vals, w.strs = w.vals[:0], w.strs[:0]
	walkers.Put(w)
}

// elem diffs one element, a and b its values (structs, addressable), which
// the caller found not equal.
func (w *walker) elem(out *[]Change, path string, a, b reflect.Value, ef *elemField) error {
	if a.Kind() != reflect.Struct && !ef.ns { // a text value
		ta, oka := simpleText(a)
		tb, okb := simpleText(b)
		if oka && okb {
			if ta, tb = strings.TrimSpace(ta), strings.TrimSpace(tb); ta != tb {
				*out = append(*out, Change{Path: path, Op: OpSet, Old: ta, New: tb})
			}
			return nil
		}
	}
	if a.Kind() != reflect.Struct || ef.ns { // a namespace its children inherit
		return w.whole(out, path, a, b, ef)
	}
	ti := itemInfo(a, ef)
	if ti.plain && (ti.check == nil || (ti.check(a) && ti.check(b))) {
		mark := len(*out)
		err := w.fields(out, path, ef.name, a, b, ti, ef, nil)
		if !errors.Is(err, errWhole) {
			return err
		}
		*out = (*out)[:mark]
	}
	return w.whole(out, path, a, b, ef)
}

// whole diffs one element from its marshalled form.
func (w *walker) whole(out *[]Change, path string, a, b reflect.Value, ef *elemField) error {
	ea, err := w.marshal(a, ef)
	if err != nil {
		return err
	}
	eb, err := w.marshal(b, ef)
	if err != nil {
		return err
	}
	diffElem(out, path, ea, eb)
	return nil
}

// group is one element field's items on both sides, labelled.
type group struct {
	ef     *elemField
	sub    *Scope        // walk the one element under this scope:
	a1, b1 reflect.Value // that element on both sides
	ai, bi []reflect.Value
	al, bl []string
	// paired: item i on one side has item i's label on the other (see
	// paired); then al and bl are not made, and labelAt names an item.
	paired bool
}

// paired reports whether the labels of a group's items are the same list
// on both sides: as many items, and each item's key values (read from
// typed fields) those of the item at its place on the other side. Labels
// are unique on a side, so item i then meets item i, nothing is added or
// removed, and only the items that differ need their labels: the common
// case of a layer editing elements in place labels nothing it did not
// change.
func paired(parent string, g *group) bool {
	if len(g.ai) != len(g.bi) {
		return false
	}
	rule := keyRules[parent+"/"+g.ef.name]
	if rule == nil {
		return true // positions alone: the same on both sides
	}
	for i := range g.ai {
		ta, tb := itemInfo(g.ai[i], g.ef), itemInfo(g.bi[i], g.ef)
		for _, p := range rule {
			va, oka := keyValue(g.ai[i], ta, p)
			vb, okb := keyValue(g.bi[i], tb, p)
			if !oka || !okb || va != vb {
				return false
			}
		}
	}
	return true
}

// labelAt is labels' label of item j of a paired group (the same on both
// sides; keyValue answered for every item).
func labelAt(parent string, g *group, j int) string {
	name := g.ef.name
	if rule := keyRules[parent+"/"+name]; rule != nil {
		v := g.bi[j]
		vals := make([]string, len(rule))
		keyed := false
		for i, p := range rule {
			vals[i], _ = keyValue(v, itemInfo(v, g.ef), p)
			keyed = keyed || vals[i] != ""
		}
		if keyed {
			n := 1 // the occurrence of this key among the items before it
			for k := range j {
				same := true
				for i, p := range rule {
					if x, _ := keyValue(g.bi[k], itemInfo(g.bi[k], g.ef), p); x != vals[i] {
						same = false
						break
					}
				}
				if same {
					n++
				}
			}
			var b []byte
			for i, p := range rule {
				if vals[i] == "" {
					continue
				}
				if len(b) == 0 {
					b = append(append(b, name...), '[')
				} else {
					b = append(b, ',')
				}
				b = append(append(b, p.label...), '=')
				if strings.ContainsAny(vals[i], `,]="[`) {
					b = strconv.AppendQuote(b, vals[i])
				} else {
					b = append(b, vals[i]...)
				}
			}
			b = append(b, ']')
			if n > 1 {
				b = append(append(append(b, '['), strconv.Itoa(n)...), ']')
			}
			return string(b)
		}
	}
	if len(g.ai) <= 1 && len(g.bi) <= 1 {
		return name
	}
	return name + "[" + strconv.Itoa(j+1) + "]"
}

// fields diffs a plain struct element in Diff's order: its attributes, then
// the removed children in a's order, then b's children in order.
//
// With a scope s, only the fields s names are looked at (a's are a scoped
// copy, b's the live domain's), and no attributes: a scoped snapshot holds
// none of the element's own.
func (w *walker) fields(out *[]Change, path, name string, a, b reflect.Value, ti *typeInfo, ef *elemField, s *Scope) error {
	var buf [4]group // most elements have few changed fields: no allocation
	groups := buf[:0]
	n := len(ti.elems)
	var plan []scopedElem
	if s != nil {
		plan = s.plan(a.Type()).elems
		n = len(plan)
	}
	for k := range n {
		var f *elemField
		var sub *Scope
		if s != nil {
			f, sub = &ti.elems[plan[k].elem], plan[k].sub
		} else {
			f = &ti.elems[k]
		}
		fa, fb := a.Field(f.index), b.Field(f.index)
		if sub != nil {
			if f.shape != shapeOne || f.item.Kind() != reflect.Struct {
				return errWhole
			}
			if !fa.IsNil() && !fb.IsNil() && plainAt(fa.Elem(), f.info) && plainAt(fb.Elem(), f.info) {
				groups = append(groups, group{ef: f, sub: sub, a1: fa.Elem(), b1: fb.Elem()})
				continue
			}
			// one side has none, or it is not plain: compare the picked parts
			if !fb.IsNil() {
				pb, ok := pick(fb.Elem(), sub)
				if !ok {
					return errWhole
				}
				p := reflect.New(pb.Type())
				p.Elem().Set(pb)
				fb = p
			}
		}
		if equalBy(f.eq, fa, fb) {
			continue
		}
		if f.shared {
			return errWhole
		}
		g, err := w.group(name, f, fa, fb)
		if err != nil {
			return err
		}
		groups = append(groups, g)
	}
	if s == nil && !ownEqual(a, b, ti) {
		if err := w.own(out, path, a, b, ti, ef); err != nil {
			return err
		}
	}
	return w.emit(out, path, name, groups)
}

// group gathers field f's items on both sides (fa, fb: the field's values)
// under an element named name, labelled unless they pair up.
func (w *walker) group(name string, f *elemField, fa, fb reflect.Value) (group, error) {
	g := group{ef: f, ai: w.items(fa, f), bi: w.items(fb, f)}
	if g.paired = paired(name, &g); !g.paired {
		var err error
		if g.al, g.bl, err = w.labels(name, &g); err != nil {
			return g, err
		}
	}
	return g, nil
}

// emit appends the changes of an element's groups in Diff's order: the
// removed children of every group, then each group's children in order.
func (w *walker) emit(out *[]Change, path, name string, groups []group) error {
	for _, g := range groups {
		for i, l := range g.al { // none for a scoped group: one element on both sides
			if !contains(g.bl, l) {
				sum, err := w.summaryIfAsked(g.ai[i], g.ef)
				if err != nil {
					return err
				}
				*out = append(*out, Change{Path: path + "/" + l, Op: OpRemoved, Old: sum})
			}
		}
	}
	for _, g := range groups {
		if g.sub != nil {
			if err := w.fields(out, path+"/"+g.ef.name, g.ef.name, g.a1, g.b1, g.ef.info, g.ef, g.sub); err != nil {
				return err
			}
			continue
		}
		if g.paired {
			for j := range g.bi {
				if equalBy(g.ef.itemEq, g.ai[j], g.bi[j]) {
					continue
				}
				if err := w.elem(out, path+"/"+labelAt(name, &g, j), g.ai[j], g.bi[j], g.ef); err != nil {
					return err
				}
			}
			continue
		}
		for j, l := range g.bl {
			if i := lastIndex(g.al, l); i >= 0 {
				if equalBy(g.ef.itemEq, g.ai[i], g.bi[j]) {
					continue // before the path is made
				}
				if err := w.elem(out, path+"/"+l, g.ai[i], g.bi[j], g.ef); err != nil {
					return err
				}
				continue
			}
			sum, err := w.summaryIfAsked(g.bi[j], g.ef)
			if err != nil {
				return err
			}
			*out = append(*out, Change{Path: path + "/" + l, Op: OpAdded, New: sum})
		}
	}
	return nil
}

func contains(ls []string, l string) bool { return lastIndex(ls, l) >= 0 }

// lastIndex: Diff maps labels to elements, the last one winning.
func lastIndex(ls []string, l string) int {
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i] == l {
			return i
		}
	}
	return -1
}

// items are the elements a field's value marshals to, as addressable
// values (in the walker's arena).
func (w *walker) items(v reflect.Value, ef *elemField) []reflect.Value {
	start := len(w.vals)
	switch ef.shape {
	case shapeOne:
		if v.IsNil() {
			return nil
		}
		w.vals = append(w.vals, v.Elem())
	case shapeSlice:
		for i := range v.Len() {
			w.vals = append(w.vals, v.Index(i))
		}
	default:
		if ef.omit && ef.item.Kind() != reflect.Struct && v.IsZero() {
			return nil
		}
		w.vals = append(w.vals, v)
	}
	return w.vals[start:len(w.vals):len(w.vals)]
}

// itemInfo is the info of v, an item of ef: linked, or looked up (the root).
func itemInfo(v reflect.Value, ef *elemField) *typeInfo {
	if ef.info != nil && ef.item == v.Type() {
		return ef.info
	}
	return infoOf(v.Type())
}

// hasItems reports whether items would be non-empty.
func hasItems(v reflect.Value, ef *elemField) bool {
	switch ef.shape {
	case shapeOne:
		return !v.IsNil()
	case shapeSlice:
		return v.Len() > 0
	}
	return !ef.omit || ef.item.Kind() == reflect.Struct || !v.IsZero()
}

// shell is a copy of a plain struct holding only its attributes (and what
// a wrapper derives attributes from).
func shell(v reflect.Value, ti *typeInfo) reflect.Value {
	s := reflect.New(v.Type()).Elem()
	for _, i := range ti.own {
		s.Field(i).Set(v.Field(i))
	}
	for _, i := range ti.startFrom {
		s.Field(i).Set(v.Field(i))
	}
	return s
}

func plainAt(v reflect.Value, ti *typeInfo) bool {
	return ti.plain && (ti.check == nil || ti.check(v))
}

func ownEqual(a, b reflect.Value, ti *typeInfo) bool {
	for _, i := range ti.own {
		if !equal(a.Field(i), b.Field(i)) {
			return false
		}
	}
	if ti.lead != nil { // what the wrapper derives, not all it derives it from
		ka, va, oka := ti.lead(a)
		kb, vb, okb := ti.lead(b)
		return oka == okb && ka == kb && va == vb
	}
	for _, i := range ti.startFrom {
		if !equal(a.Field(i), b.Field(i)) {
			return false
		}
	}
	return true
}

// own diffs a plain element's attributes and a leaf's text: from typed
// fields where each is a simple value, else from shells marshalled alone.
func (w *walker) own(out *[]Change, path string, a, b reflect.Value, ti *typeInfo, ef *elemField) error {
	if typedStart(ti) {
		aa, oka := typedAttrs(a, ti, w.attrsA)
		ba, okb := typedAttrs(b, ti, w.attrsB)
		w.attrsA, w.attrsB = aa, ba
		ta, okta := leafText(a, ti)
		tb, oktb := leafText(b, ti)
		if oka && okb && okta && oktb {
			diffAttrList(out, path, aa, ba)
			if ta != tb {
				*out = append(*out, Change{Path: path, Op: OpSet, Old: ta, New: tb})
			}
			return nil
		}
	}
	ea, err := w.marshal(shell(a, ti), ef)
	if err != nil {
		return err
	}
	eb, err := w.marshal(shell(b, ti), ef)
	if err != nil {
		return err
	}
	diffOwn(out, path, ea, eb)
	return nil
}

// diffAttrList is diffAttrs of two typed attribute lists (names unique,
// no namespaces): a few attributes each, so compared pairwise, and only
// the changes sorted (their paths differ in the name alone).
func diffAttrList(out *[]Change, path string, aa, ba []etree.Attr) {
	mark := len(*out)
	for _, a := range aa {
		j := attrIndex(ba, a.Key)
		switch {
		case j < 0:
			*out = append(*out, Change{Path: path + "/@" + a.Key, Op: OpRemoved, Old: a.Value})
		case ba[j].Value != a.Value:
			*out = append(*out, Change{Path: path + "/@" + a.Key, Op: OpSet, Old: a.Value, New: ba[j].Value})
		}
	}
	for _, b := range ba {
		if attrIndex(aa, b.Key) < 0 {
			*out = append(*out, Change{Path: path + "/@" + b.Key, Op: OpAdded, New: b.Value})
		}
	}
	if added := (*out)[mark:]; len(added) > 1 {
		slices.SortFunc(added, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	}
}

func attrIndex(as []etree.Attr, key string) int {
	for i := range as {
		if as[i].Key == key {
			return i
		}
	}
	return -1
}

// typedStart reports whether a plain type's start tag can be read from its
// fields: no attribute a wrapper derives, or one lead tells.
func typedStart(ti *typeInfo) bool { return len(ti.startFrom) == 0 || ti.lead != nil }

// leafText is a leaf's text as Diff reads it (trimmed), "" for a type with
// none; false for text XML cannot carry.
func leafText(v reflect.Value, ti *typeInfo) (string, bool) {
	if ti.text < 0 {
		return "", true
	}
	t, ok := simpleText(v.Field(ti.text))
	return strings.TrimSpace(t), ok
}

// typedAttrs are the attributes encoding/xml writes for a plain struct, in
// its order (a wrapper's lead first, as its MarshalXML puts it in the start
// element); false when one is not a simple value.
func typedAttrs(v reflect.Value, ti *typeInfo, buf []etree.Attr) ([]etree.Attr, bool) {
	out := buf[:0]
	if ti.lead != nil {
		if k, val, ok := ti.lead(v); ok {
			out = append(out, etree.Attr{Key: k, Value: val})
		}
	}
	for _, af := range ti.attrList {
		if !af.simple {
			return nil, false
		}
		f := v.Field(af.index)
		if af.omit && f.IsZero() {
			continue
		}
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		s, ok := simpleText(f)
		if !ok {
			return nil, false
		}
		out = append(out, etree.Attr{Key: af.name, Value: s})
	}
	return out, true
}

var simpleTypes sync.Map // reflect.Type -> bool

// simpleType: a string, integer or boolean, or a pointer to one, that
// encoding/xml formats itself. Asked per value the walk reads, so kept.
func simpleType(t reflect.Type) bool {
	if t.PkgPath() == "" && t.Name() != "" { // a predeclared type: no methods, no look-up
		return simpleKind(t.Kind())
	}
	if s, ok := simpleTypes.Load(t); ok {
		return s.(bool)
	}
	s := isSimpleType(t)
	simpleTypes.Store(t, s)
	return s
}

func isSimpleType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for _, x := range []reflect.Type{t, reflect.PointerTo(t)} {
		if x.Implements(attrMarshaler) || x.Implements(textMarshaler) || x.Implements(marshalerType) {
			return false
		}
	}
	return simpleKind(t.Kind())
}

// simpleKind: the kinds encoding/xml formats itself as text.
func simpleKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// simpleText is a simple value as encoding/xml writes it and a parser reads
// it back; false for other kinds, and for text XML cannot carry (which the
// encoder replaces).
func simpleText(v reflect.Value) (string, bool) {
	if !simpleType(v.Type()) {
		return "", false
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		for _, r := range s {
			if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
				return "", false // utf8.RuneError (0xFFFD) is in range: invalid UTF-8 is checked below
			}
		}
		if !utf8.ValidString(s) {
			return "", false
		}
		return s, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	}
	return "", false
}

// summaryIfAsked is the item's summary, "" when the record asks for none.
func (w *walker) summaryIfAsked(v reflect.Value, ef *elemField) (string, error) {
	if w.noSummaries {
		return "", nil
	}
	return w.summary(v, ef)
}

// summary is summary() of the item marshalled, built from typed fields
// where the item is plain.
func (w *walker) summary(v reflect.Value, ef *elemField) (string, error) {
	if !ef.ns {
		if v.Kind() != reflect.Struct {
			if t, ok := simpleText(v); ok {
				return w.summaryOf(ef.name, nil, false, strings.TrimSpace(t)), nil
			}
		} else if ti := itemInfo(v, ef); plainAt(v, ti) {
			attrs, ok := []etree.Attr(nil), false
			text, okt := leafText(v, ti)
			if typedStart(ti) {
				attrs, ok = typedAttrs(v, ti, w.attrsA)
				w.attrsA = attrs
			}
			if !ok || !okt {
				e, err := w.marshal(shell(v, ti), ef)
				if err != nil {
					return "", err
				}
				attrs, text = e.Attr, strings.TrimSpace(e.Text())
			}
			if children, sure := hasChildElements(v, ti); sure {
				return w.summaryOf(ef.name, attrs, children, text), nil
			}
		}
	}
	if err := w.encode(v, ef); err != nil {
		return "", err
	}
	if tag, attrs, children, text, ok := readSummary(w.buf.Bytes(), w.attrsA); ok {
		w.attrsA = attrs
		return w.summaryOf(tag, attrs, children, text), nil
	}
	e, err := w.parse(ef)
	if err != nil {
		return "", err
	}
	return summary(e), nil
}

// hasChildElements reports whether a plain struct marshals child
// elements, read from its fields; sure is false when only fields whose
// items have a marshaller of their own are set (an empty <source> of a
// disk writes nothing), which the caller then marshals to tell.
func hasChildElements(v reflect.Value, ti *typeInfo) (children, sure bool) {
	unsure := false
	for i := range ti.elems {
		ef := &ti.elems[i]
		f := v.Field(ef.index)
		if !hasItems(f, ef) {
			continue
		}
		if emitsElement(f, ef) {
			return true, true
		}
		unsure = true
	}
	return false, !unsure
}

// emitsElement reports whether a field with items surely marshals at
// least one element: a simple value, a plain struct item, or one whose
// marshaller is known to write an element (emits).
func emitsElement(f reflect.Value, ef *elemField) bool {
	if ef.item.Kind() != reflect.Struct {
		return simpleType(ef.item)
	}
	switch ef.shape {
	case shapeOne:
		return emits(f.Elem(), ef)
	case shapeSlice:
		for j := range f.Len() {
			if emits(f.Index(j), ef) {
				return true
			}
		}
		return false
	}
	return emits(f, ef)
}

func emits(it reflect.Value, ef *elemField) bool {
	ti := itemInfo(it, ef)
	switch {
	case plainAt(it, ti):
		return true
	case ti.delegate != nil:
		_, _, set := ti.delegate(it)
		return set
	case ti.emitter != nil:
		return ti.emitter(it)
	}
	return false
}

// emitters are libvirtxml types with a MarshalXML that writes one element
// exactly when the test holds: DomainAddress writes the first address
// kind set (each kind's own marshaller always writes its element).
var emitters = map[reflect.Type]func(reflect.Value) bool{
	reflect.TypeFor[libvirtxml.DomainAddress](): func(v reflect.Value) bool {
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
				return true
			}
		}
		return false
	},
}

// summaryOf is summaryOf built in the walker's buffer.
func (w *walker) summaryOf(tag string, attrs []etree.Attr, children bool, text string) string {
	w.sum = appendSummary(w.sum[:0], tag, attrs, children, text)
	return string(w.sum)
}

// labels names a group's items as Diff's labels does.
func (w *walker) labels(parent string, g *group) (al, bl []string, err error) {
	name := g.ef.name
	rule := keyRules[parent+"/"+name]
	n0, n1 := len(g.ai), len(g.bi)
	label := func(vs []reflect.Value) ([]string, error) {
		start := len(w.strs)
		w.strs = append(w.strs, make([]string, len(vs))...)
		out := w.strs[start:len(w.strs):len(w.strs)]
		var seen map[string]int // past a few keyed items; before, keyed is scanned
		keyed := w.keyed[:0]
		defer func() { w.keyed = keyed[:0] }()
		for i, v := range vs {
			if rule != nil {
				l, err := w.keyLabel(name, v, g.ef, rule)
				if err != nil {
					return nil, err
				}
				if l != "" {
					n := 1
					if seen == nil && len(keyed) < 32 {
						for _, k := range keyed {
							if k == l {
								n++
							}
						}
						keyed = append(keyed, l)
					} else {
						if seen == nil {
							seen = make(map[string]int, 2*len(keyed))
							for _, k := range keyed {
								seen[k]++
							}
						}
						seen[l]++
						n = seen[l]
					}
					if n > 1 {
						l += "[" + strconv.Itoa(n) + "]"
					}
					out[i] = l
					continue
				}
			}
			if n0 <= 1 && n1 <= 1 {
				out[i] = name
				continue
			}
			out[i] = name + "[" + strconv.Itoa(i+1) + "]"
		}
		return out, nil
	}
	if al, err = label(g.ai); err != nil {
		return nil, nil, err
	}
	if bl, err = label(g.bi); err != nil {
		return nil, nil, err
	}
	return al, bl, nil
}

// keyLabel is name followed by keyPred of the item's marshalled form, ""
// when that is empty: read from its typed fields where the tags lead to
// them, else from the item marshalled alone. One buffer per label: the
// walk labels every item of a changed group.
func (w *walker) keyLabel(name string, v reflect.Value, ef *elemField, rule []keyPart) (string, error) {
	b := w.key[:0]
	for _, p := range rule {
		val, ok := keyValue(v, itemInfo(v, ef), p)
		if !ok {
			e, err := w.marshal(v, ef)
			if err != nil {
				return "", err
			}
			if pred := keyPred(e, rule); pred != "" {
				return name + pred, nil
			}
			return "", nil
		}
		if val == "" {
			continue
		}
		if len(b) == 0 {
			b = append(append(b, name...), '[')
		} else {
			b = append(b, ',')
		}
		b = append(append(b, p.label...), '=')
		if strings.ContainsAny(val, `,]="[`) {
			b = strconv.AppendQuote(b, val)
		} else {
			b = append(b, val...)
		}
	}
	w.key = b
	if len(b) == 0 {
		return "", nil
	}
	return string(append(b, ']')), nil
}

// keyValue reads a key part from typed fields: its value ("" when absent),
// false when the tags do not lead to a plain attribute.
func keyValue(v reflect.Value, ti *typeInfo, p keyPart) (string, bool) {
	if v.Kind() != reflect.Struct {
		return "", false
	}
	if p.child != "" {
		i, ok := ti.elemIndex(p.child)
		if !ok || ti.elems[i].shared || ti.elems[i].item.Kind() != reflect.Struct {
			return "", false
		}
		f := v.Field(ti.elems[i].index)
		switch ti.elems[i].shape {
		case shapeOne:
			if f.IsNil() {
				return "", true
			}
			f = f.Elem()
		case shapeSlice:
			if f.Len() == 0 {
				return "", true
			}
			f = f.Index(0)
		}
		v, ti = f, ti.elems[i].info
	}
	if d := ti.delegate; d != nil {
		inner, typ, ok := d(v)
		switch {
		case !ok:
			return "", true // it marshals to no element
		case p.attr == "type":
			return typ, true
		}
		v, ti = inner, infoOf(inner.Type())
	}
	af, ok := ti.attr(p.attr)
	if !ok {
		return "", false
	}
	if !af.simple { // a marshaller of its own, or a kind read below not at all
		return "", false
	}
	f := v.Field(af.index)
	if af.omit && f.IsZero() {
		return "", true
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return "", true
		}
		f = f.Elem()
	}
	switch f.Kind() {
	case reflect.String:
		return f.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(f.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(f.Uint(), 10), true
	case reflect.Bool:
		return strconv.FormatBool(f.Bool()), true
	}
	return "", false
}

// marshal is one element marshalled alone and parsed, as it reads inside
// the document: the walk only descends through elements without a
// namespace, so a child marshals as it does in place.
func (w *walker) marshal(v reflect.Value, ef *elemField) (*etree.Element, error) {
	if err := w.encode(v, ef); err != nil {
		return nil, err
	}
	return w.parse(ef)
}

// encode marshals one element alone into w.buf.
func (w *walker) encode(v reflect.Value, ef *elemField) error {
	if w.enc == nil {
		w.enc = xml.NewEncoder(&w.buf)
	}
	w.buf.Reset()
	p := v.Addr().Interface()
	var err error
	if ef.byType {
		err = w.enc.Encode(p)
	} else {
		err = w.enc.EncodeElement(p, xml.StartElement{Name: ef.xname})
	}
	if err == nil {
		err = w.enc.Flush()
	}
	if err != nil {
		w.enc = nil // an encoder that failed may hold a partial element
		return fmt.Errorf("provenance: marshal <%s>: %w", ef.name, err)
	}
	return nil
}

// parse is the element encode left in w.buf, as a tree.
func (w *walker) parse(ef *elemField) (*etree.Element, error) {
	if e, ok := readElement(w.buf.Bytes()); ok {
		return e, nil
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(w.buf.Bytes()); err != nil {
		return nil, fmt.Errorf("provenance: parse marshalled <%s>: %w", ef.name, err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("provenance: <%s> marshals to no element: %w", ef.name, errWhole)
	}
	return doc.Root(), nil
}
