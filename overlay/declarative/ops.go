package declarative

import (
	"fmt"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// operation is one kind of edit (set, unset, create, delete, merge, add).
// Each is one type below, registered in operations: a new operation is a
// new type, its field on Op and one line in that list.
type operation interface {
	// compile checks the operation's argument against the op's path and
	// selector (c has both) and keeps its compiled form.
	compile(c *compiledOp) error
	// writes are the declared paths (layer.go's form) under base, the
	// op's path as /domain/....
	writes(base string) []string
	// apply edits one selected target.
	apply(c *compiledOp, t target)
	// probe round-trips what the operation writes through libvirtxml at
	// load (probe.go); nil when it writes nothing to probe.
	probe(c *compiledOp) error
	// creates reports whether a missing target is made rather than skipped.
	creates() bool
	// summary is the operation in the layer's Doc ("set io=native").
	summary() string
}

// appender is an operation that adds elements instead of editing selected
// ones (add): it runs once per op, on the parent of the path.
type appender interface {
	appendTo(c *compiledOp, root *etree.Element) int
}

// opSpec registers an operation under its config key: from returns the
// operation when the Op gives it.
type opSpec struct {
	key  string
	from func(o *Op) (operation, bool)
}

// operations is the one list of operations, in the order messages list them.
var operations = []opSpec{
	{"set", func(o *Op) (operation, bool) { return &setOp{raw: o.Set}, o.Set != nil }},
	{"unset", func(o *Op) (operation, bool) { return &unsetOp{raw: o.Unset}, o.Unset != nil }},
	{"create", func(o *Op) (operation, bool) { return &createOp{raw: o.Create}, o.Create != nil }},
	{"delete", func(o *Op) (operation, bool) { return &deleteOp{}, o.Delete }},
	{"merge", func(o *Op) (operation, bool) { return &mergeOp{raw: o.Merge}, o.Merge != "" }},
	{"add", func(o *Op) (operation, bool) { return &addOp{raw: o.Add}, o.Add != "" }},
}

func operationKeys() string {
	keys := make([]string, len(operations))
	for i, s := range operations {
		keys[i] = s.key
	}
	return strings.Join(keys, ", ")
}

// Interface guards.
var (
	_ operation = (*setOp)(nil)
	_ operation = (*unsetOp)(nil)
	_ operation = (*createOp)(nil)
	_ operation = (*deleteOp)(nil)
	_ operation = (*mergeOp)(nil)
	_ operation = (*addOp)(nil)
	_ appender  = (*addOp)(nil)
)

// propWrites is the declared path of each property under base.
func propWrites(base string, props []propValue) []string {
	var w []string
	for _, pv := range props {
		p := base
		for _, s := range pv.prop.subs {
			p += "/" + s
		}
		if !pv.prop.text() {
			p += "/@" + pv.prop.attr
		}
		w = append(w, p)
	}
	return w
}

// checkAttrName refuses namespace declarations written as attributes: they
// are not libvirt properties, and a set xmlns on /domain breaks every
// request with an unrelated error.
func checkAttrName(field, name string) error {
	if name == "xmlns" || strings.HasPrefix(name, "xmlns:") {
		return fieldErr(field, "%q is a namespace declaration, not a property: merge namespaced elements with a fragment that declares the namespace", name)
	}
	return nil
}

// setOp: property -> value; an empty value unsets.
type setOp struct {
	raw   map[string]string
	props []propValue
}

func (s *setOp) compile(c *compiledOp) error {
	if len(s.raw) == 0 {
		return fieldErr("set", "is empty")
	}
	if len(s.raw) > maxSetKeys {
		return fieldErr("set", "%d properties: at most %d per op", len(s.raw), maxSetKeys)
	}
	keys := make([]string, 0, len(s.raw))
	for k := range s.raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, err := parseProp(k)
		if err != nil {
			return fieldErr("set["+k+"]", "%w", err)
		}
		if !p.text() {
			if err := checkAttrName("set["+k+"]", p.attr); err != nil {
				return err
			}
		}
		if len(s.raw[k]) > maxValueLen {
			return fieldErr("set["+k+"]", "value of %d bytes: at most %d", len(s.raw[k]), maxValueLen)
		}
		s.props = append(s.props, propValue{prop: p, value: s.raw[k]})
	}
	return nil
}

func (s *setOp) writes(base string) []string {
	w := propWrites(base, s.props)
	if strings.HasPrefix(base, "/domain/devices/") && s.setsBootOrder(strings.HasSuffix(base, "/boot")) {
		w = append(w, "/domain/os/boot")
	}
	return w
}

// setsBootOrder: boot.order on a device (or order on its boot element,
// atBoot), which replaces <os><boot dev>.
func (s *setOp) setsBootOrder(atBoot bool) bool {
	for _, pv := range s.props {
		if pv.value == "" || pv.prop.attr != "order" {
			continue
		}
		if len(pv.prop.subs) == 1 && pv.prop.subs[0] == "boot" || len(pv.prop.subs) == 0 && atBoot {
			return true
		}
	}
	return false
}

func (s *setOp) apply(c *compiledOp, t target) {
	for _, pv := range s.props {
		if pv.value == "" {
			unsetProp(t.el, pv.prop)
		} else {
			setProp(t.el, pv.prop, pv.value)
		}
	}
	if c.device && s.setsBootOrder(c.segs[len(c.segs)-1] == "boot") {
		dropOSBoot(t.el)
	}
}

func (s *setOp) probe(c *compiledOp) error { return probeProps(c, s.props, "set") }
func (s *setOp) creates() bool             { return true }

func (s *setOp) summary() string {
	keys := make([]string, 0, len(s.raw))
	for k, v := range s.raw {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return "set " + strings.Join(keys, ",")
}

// unsetOp: a list of properties to remove.
type unsetOp struct {
	raw   []string
	props []propValue
}

func (u *unsetOp) compile(c *compiledOp) error {
	if len(u.raw) == 0 {
		return fieldErr("unset", "is empty")
	}
	if len(u.raw) > maxSetKeys {
		return fieldErr("unset", "%d properties: at most %d per op", len(u.raw), maxSetKeys)
	}
	for i, k := range u.raw {
		p, err := parseProp(k)
		if err != nil {
			return fieldErr(fmt.Sprintf("unset[%d]", i), "%w", err)
		}
		u.props = append(u.props, propValue{prop: p})
	}
	return nil
}

func (u *unsetOp) writes(base string) []string { return propWrites(base, u.props) }

func (u *unsetOp) apply(c *compiledOp, t target) {
	for _, pv := range u.props {
		unsetProp(t.el, pv.prop)
	}
}

func (u *unsetOp) probe(c *compiledOp) error { return probeProps(c, u.props, "unset") }
func (u *unsetOp) creates() bool             { return false }
func (u *unsetOp) summary() string           { return "unset " + strings.Join(u.raw, ",") }

// createOp: add the element with these attributes when it is missing.
type createOp struct {
	raw   map[string]string
	props []propValue
}

func (cr *createOp) compile(c *compiledOp) error {
	if len(c.segs) == 0 {
		return fieldErr("create", "the domain root always exists")
	}
	if !c.defaultPick || c.explicitFirst {
		return fieldErr("create", "creates a missing singleton: it takes no first, nth, all or match")
	}
	if len(cr.raw) > maxSetKeys {
		return fieldErr("create", "%d attributes: at most %d per op", len(cr.raw), maxSetKeys)
	}
	keys := make([]string, 0, len(cr.raw))
	for k := range cr.raw {
		if !xmlNameRE.MatchString(k) {
			return fieldErr("create["+k+"]", "%q is not an attribute name", k)
		}
		if err := checkAttrName("create["+k+"]", k); err != nil {
			return err
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cr.props = append(cr.props, propValue{prop: prop{attr: k}, value: cr.raw[k]})
	}
	return nil
}

func (cr *createOp) writes(base string) []string {
	w := []string{base}
	for _, pv := range cr.props {
		w = append(w, base+"/@"+pv.prop.attr)
	}
	return w
}

func (cr *createOp) apply(c *compiledOp, t target) {
	if t.created {
		for _, pv := range cr.props {
			setAttr(t.el, pv.prop.attr, pv.value)
		}
	}
}

func (cr *createOp) probe(c *compiledOp) error {
	return prefixField("create", probe(c, func(sel, tgt *etree.Element) []dim {
		for _, pv := range cr.props {
			setAttr(tgt, pv.prop.attr, pv.value)
		}
		return nil
	}))
}
func (cr *createOp) creates() bool   { return true }
func (cr *createOp) summary() string { return "create if missing" }

// deleteOp: remove the selected elements. Deleting the last serial port
// removes the consoles that mirror it too (as virt-xml --remove-device
// does): libvirt would otherwise recreate the serial from the console.
type deleteOp struct{}

func (deleteOp) compile(c *compiledOp) error {
	if len(c.segs) == 0 {
		return fieldErr("delete", "the domain root cannot be deleted")
	}
	return nil
}

func (d deleteOp) writes(base string) []string {
	if base == "/domain/devices/serial" {
		return []string{base, "/domain/devices/console"}
	}
	return []string{base}
}

func (deleteOp) apply(c *compiledOp, t target) {
	p := t.el.Parent()
	if p == nil {
		return
	}
	p.RemoveChild(t.el)
	if len(c.segs) == 2 && c.device && c.segs[1] == "serial" && firstChild(p, "serial") == nil {
		for _, con := range p.SelectElements("console") {
			if tt := firstChild(con, "target"); tt == nil || attrValue(tt, "type") == "" || attrValue(tt, "type") == "serial" {
				p.RemoveChild(con)
			}
		}
	}
}

func (deleteOp) probe(c *compiledOp) error { return nil }
func (deleteOp) creates() bool             { return false }
func (deleteOp) summary() string           { return "delete" }

// mergeOp: a fragment named like the path's last element, merged into
// each selected element.
type mergeOp struct {
	raw      string
	fragment *etree.Element
}

func (m *mergeOp) compile(c *compiledOp) error {
	root, err := parseFragment("merge", m.raw, c.segs)
	if err != nil {
		return err
	}
	if len(root.Attr) == 0 && len(root.ChildElements()) == 0 && strings.TrimSpace(root.Text()) == "" {
		return fieldErr("merge", "the fragment <%s/> changes nothing: give attributes, text or children", root.FullTag())
	}
	// Prefixed declarations (xmlns:qemu) are how namespaced children are
	// written; a default namespace on the root would be merged onto the
	// element itself (on /domain: every request fails).
	if a := attr(root, "xmlns"); a != nil {
		return fieldErr("merge", "the fragment's root declares a default namespace (xmlns=%q): it would be set on <%s> itself; declare a prefix (xmlns:p) for namespaced children", a.Value, root.Tag)
	}
	m.fragment = root
	return nil
}

func (m *mergeOp) writes(base string) []string {
	var w []string
	if strings.TrimSpace(m.fragment.Text()) != "" {
		w = append(w, base) // the element's own text
	}
	w = fragmentWrites(m.fragment, base, w)
	if strings.HasPrefix(base, "/domain/devices/") && bootOrderIn(m.fragment) {
		w = append(w, "/domain/os/boot")
	}
	return w
}

func (m *mergeOp) apply(c *compiledOp, t target) {
	mergeInto(t.el, m.fragment)
	if c.device && bootOrderIn(m.fragment) {
		dropOSBoot(t.el)
	}
}

func (m *mergeOp) probe(c *compiledOp) error {
	return prefixField("merge", probe(c, func(sel, tgt *etree.Element) []dim {
		withMatch(c, sel)
		mergeInto(tgt, m.fragment)
		return nil
	}))
}
func (m *mergeOp) creates() bool   { return true }
func (m *mergeOp) summary() string { return "merge fragment" }

// addOp: append a new element (a second NIC, disk, channel, vcpupin) even
// when one of its kind exists. The path names the element added; its
// parent is created when missing.
type addOp struct {
	raw      string
	fragment *etree.Element
}

func (a *addOp) compile(c *compiledOp) error {
	if len(c.segs) == 0 {
		return fieldErr("add", "the domain root cannot be added")
	}
	if !c.defaultPick || c.explicitFirst {
		return fieldErr("add", "appends a new element: it takes no first, nth, all or match")
	}
	if len(c.segs) > 2 && c.device {
		return fieldErr("add", "path %q: add appends a device (devices/<kind>) or an element outside devices; edit a device's parts with merge", displayPath(c.segs))
	}
	root, err := parseFragment("add", a.raw, c.segs)
	if err != nil {
		return err
	}
	a.fragment = root
	return nil
}

func (a *addOp) writes(base string) []string {
	w := fragmentWrites(a.fragment, base, []string{base})
	if strings.HasPrefix(base, "/domain/devices/") && bootOrderIn(a.fragment) {
		w = append(w, "/domain/os/boot")
	}
	return w
}

func (a *addOp) apply(c *compiledOp, t target) {}

func (a *addOp) appendTo(c *compiledOp, root *etree.Element) int {
	parent := root
	for _, s := range c.segs[:len(c.segs)-1] {
		next := firstChild(parent, s)
		if next == nil {
			next = parent.CreateElement(s)
		}
		parent = next
	}
	el := a.fragment.Copy()
	// After the last of its kind, so devices of one kind stay together.
	var last *etree.Element
	for _, ch := range parent.ChildElements() {
		if ch.Tag == el.Tag {
			last = ch
		}
	}
	if last != nil {
		parent.InsertChildAt(last.Index()+1, el)
	} else {
		parent.AddChild(el)
	}
	if c.device && bootOrderIn(a.fragment) {
		dropOSBoot(el)
	}
	return 1
}

func (a *addOp) probe(c *compiledOp) error {
	return prefixField("add", probe(c, func(sel, tgt *etree.Element) []dim {
		p := tgt.Parent()
		p.RemoveChild(tgt)
		p.AddChild(a.fragment.Copy())
		return nil
	}))
}
func (a *addOp) creates() bool   { return true }
func (a *addOp) summary() string { return "add element" }

// parseFragment reads an op's XML fragment: one root element named like
// the path's last element, bounded in size.
func parseFragment(field, raw string, segs []string) (*etree.Element, error) {
	if len(raw) > maxFragment {
		return nil, fieldErr(field, "fragment of %d bytes: at most %d", len(raw), maxFragment)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(raw); err != nil {
		return nil, fieldErr(field, "not XML: %w", err)
	}
	roots := doc.ChildElements()
	switch {
	case len(roots) == 0:
		return nil, fieldErr(field, "no element in the fragment")
	case len(roots) > 1:
		return nil, fieldErr(field, "the fragment has %d root elements (<%s>, <%s>, ...); give one, named like the path's last element", len(roots), roots[0].FullTag(), roots[1].FullTag())
	}
	root := roots[0]
	want := "domain"
	if len(segs) > 0 {
		want = segs[len(segs)-1]
	}
	if root.Tag != want {
		return nil, fieldErr(field, "the fragment's root is <%s>; it must be <%s>, the element at path %q", root.FullTag(), want, displayPath(segs))
	}
	if n, depth := countElements(root, 0); n > maxFragmentElements || depth > maxPathDepth {
		return nil, fieldErr(field, "fragment of %d elements, %d deep: at most %d elements, %d deep", n, depth, maxFragmentElements, maxPathDepth)
	}
	return root, nil
}

func countElements(e *etree.Element, depth int) (n, maxDepth int) {
	n, maxDepth = 1, depth+1
	for _, ch := range e.ChildElements() {
		cn, cd := countElements(ch, depth+1)
		n += cn
		maxDepth = max(maxDepth, cd)
	}
	return n, maxDepth
}

// bootOrderIn reports whether a device fragment sets <boot order=...>
// (or is that <boot>).
func bootOrderIn(frag *etree.Element) bool {
	b := frag
	if frag.Tag != "boot" {
		b = firstChild(frag, "boot")
	}
	return b != nil && attrValue(b, "order") != ""
}

// dropOSBoot removes <os><boot dev=...>: libvirt refuses it beside a
// device's boot order, and virt-xml --edit --disk boot.order=N removes it.
func dropOSBoot(inDevice *etree.Element) {
	root := inDevice
	for root.Parent() != nil && root.Parent().Parent() != nil {
		root = root.Parent()
	}
	if os := firstChild(root, "os"); os != nil {
		for _, b := range os.SelectElements("boot") {
			os.RemoveChild(b)
		}
	}
}

func attrValue(e *etree.Element, name string) string {
	if a := attr(e, name); a != nil {
		return a.Value
	}
	return ""
}
