package declarative

import (
	"fmt"
	"path"
	"strings"

	"github.com/beevik/etree"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
)

// compiled is a validated entry: what its layer runs.
type compiled struct {
	vm  vmSelector
	ops []*compiledOp
}

type vmSelector struct {
	uuid, name       string
	tagKey, tagValue string
	hasTag           bool
}

// matches reports whether every criterion given holds for cmd.
func (v vmSelector) matches(cmd *excmd.StartVmExCmd) bool {
	if cmd == nil {
		return false
	}
	if v.uuid != "" && strings.ReplaceAll(strings.ToLower(cmd.VMInstanceUUID), "-", "") != v.uuid {
		return false
	}
	if v.name != "" {
		// The pattern was checked at load, so an error cannot happen here.
		if ok, _ := path.Match(v.name, cmd.VMName); !ok {
			return false
		}
	}
	if v.hasTag {
		val, ok := cmd.Tags()[v.tagKey]
		if !ok || val != v.tagValue {
			return false
		}
	}
	return true
}

// compiledOp is a validated Op.
type compiledOp struct {
	segs        []string
	device      bool // segs start with devices/<kind>: the selector picks devices
	nth         int  // 1-based; 1 is "first"
	all         bool
	match       []propValue
	defaultPick bool // no nth, all or match: the op may create what is missing
	// explicitFirst is `first: true` as written (create and add refuse it).
	explicitFirst bool
	require       bool // nothing selected is an error
	kind          string
	op            operation
	writes        []string
	key           string // the op as written (JSON), for probes done once
}

// level is how many path elements lead to what the selector picks.
func (c *compiledOp) level() int {
	if c.device {
		return 2
	}
	return len(c.segs)
}

// creates reports whether a missing target is made rather than skipped.
func (c *compiledOp) creates() bool { return c.op.creates() }

// apply runs the op on a domain document and returns how many elements it
// selected. Nothing selected is not an error unless the op says require:
// the layer's VM selector decided it applies, and a VM without, say, a vdb
// simply has nothing to change (as `virsh` edits are per domain).
func (c *compiledOp) apply(root *etree.Element) int {
	if a, ok := c.op.(appender); ok {
		return a.appendTo(c, root)
	}
	ts := c.targets(root)
	for _, t := range ts {
		c.op.apply(c, t)
	}
	return len(ts)
}

type target struct {
	el      *etree.Element
	created bool
}

// targets finds the elements the op works on, creating them where the op
// creates and the selector is the default one.
func (c *compiledOp) targets(root *etree.Element) []target {
	if len(c.segs) == 0 {
		return []target{{el: root}}
	}
	lvl := c.level()
	parent := root
	for _, s := range c.segs[:lvl-1] {
		next := firstChild(parent, s)
		if next == nil {
			if !c.creates() || !c.defaultPick {
				return nil
			}
			next = parent.CreateElement(s)
		}
		parent = next
	}
	var cands []*etree.Element
	for _, e := range parent.ChildElements() {
		if e.Tag == c.segs[lvl-1] && c.matches(e) {
			cands = append(cands, e)
		}
	}
	var picked []target
	switch {
	case c.all:
		for _, e := range cands {
			picked = append(picked, target{el: e})
		}
	case c.nth <= len(cands):
		picked = []target{{el: cands[c.nth-1]}}
	}
	if len(picked) == 0 {
		// A device is never made up by set or merge (virt-xml's --edit does
		// not either); a singleton outside devices, or create's element, is.
		if !c.defaultPick || (c.device && c.kind != "create") || !c.creates() {
			return nil
		}
		picked = []target{{el: parent.CreateElement(c.segs[lvl-1]), created: true}}
	}
	if lvl == len(c.segs) {
		return picked
	}
	var out []target
	for _, t := range picked {
		el, created := t.el, t.created
		for _, s := range c.segs[lvl:] {
			next := firstChild(el, s)
			if next == nil {
				if !c.creates() {
					el = nil
					break
				}
				next, created = el.CreateElement(s), true
			}
			el = next
		}
		if el != nil {
			out = append(out, target{el: el, created: created})
		}
	}
	return out
}

// matches reports whether every match property holds on e.
func (c *compiledOp) matches(e *etree.Element) bool {
	for _, m := range c.match {
		if propValueOf(e, m.prop) != m.value {
			return false
		}
	}
	return true
}

// propValueOf reads a property; a missing element or attribute reads "".
func propValueOf(e *etree.Element, p prop) string {
	for _, s := range p.subs {
		if e = firstChild(e, s); e == nil {
			return ""
		}
	}
	if p.text() {
		return strings.TrimSpace(e.Text())
	}
	if a := attr(e, p.attr); a != nil {
		return a.Value
	}
	return ""
}

func setProp(e *etree.Element, p prop, v string) {
	for _, s := range p.subs {
		next := firstChild(e, s)
		if next == nil {
			next = e.CreateElement(s)
		}
		e = next
	}
	if p.text() {
		e.SetText(v)
		return
	}
	setAttr(e, p.attr, v)
}

// unsetProp removes an attribute or text, then the sub-elements it leaves
// empty, as virt-xml removes a property's now-empty parents. Unsetting the
// text of an element that holds only text removes the element (virt-xml's
// --edit --cputune shares= drops <shares>): left empty, libvirt would read
// it as 0, or libvirtxml drop it.
func unsetProp(e *etree.Element, p prop) {
	chain := []*etree.Element{e}
	for _, s := range p.subs {
		if e = firstChild(e, s); e == nil {
			return
		}
		chain = append(chain, e)
	}
	if p.text() {
		e.SetText("")
		if len(e.ChildElements()) == 0 {
			if parent := e.Parent(); parent != nil && parent.Parent() != nil {
				parent.RemoveChild(e)
				// prune the parents it leaves empty (cputune, once its last
				// child is unset), never the root
				for p := parent; p.Parent() != nil && p.Parent().Parent() != nil && empty(p); {
					gp := p.Parent()
					gp.RemoveChild(p)
					p = gp
				}
				return
			}
		}
	} else {
		removeAttr(e, p.attr)
	}
	for i := len(chain) - 1; i > 0; i-- {
		if !empty(chain[i]) {
			break
		}
		chain[i-1].RemoveChild(chain[i])
	}
}

func empty(e *etree.Element) bool {
	return len(e.Attr) == 0 && len(e.ChildElements()) == 0 && strings.TrimSpace(e.Text()) == ""
}

// mergeInto sets frag's attributes and text on dst and merges its children
// by name: into the first child of the same name and namespace, else as a
// new child.
func mergeInto(dst, frag *etree.Element) {
	for _, a := range frag.Attr {
		dst.CreateAttr(a.FullKey(), a.Value)
	}
	if t := strings.TrimSpace(frag.Text()); t != "" {
		dst.SetText(frag.Text())
	}
	for _, fc := range frag.ChildElements() {
		uri := fc.NamespaceURI()
		var into *etree.Element
		for _, dc := range dst.ChildElements() {
			if dc.Tag == fc.Tag && dc.NamespaceURI() == uri {
				into = dc
				break
			}
		}
		if into == nil {
			dst.AddChild(fc.Copy())
			continue
		}
		mergeInto(into, fc)
	}
}

// firstChild is the first child element with local name tag, whatever its
// namespace prefix (libvirtxml writes its namespaced elements unprefixed).
func firstChild(e *etree.Element, tag string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// attr finds an attribute by its exact name ("io", "xlink:href"), unlike
// etree's SelectAttr, where no prefix matches any prefix.
func attr(e *etree.Element, name string) *etree.Attr {
	space, key := splitName(name)
	for i, a := range e.Attr {
		if a.Space == space && a.Key == key {
			return &e.Attr[i]
		}
	}
	return nil
}

func setAttr(e *etree.Element, name, v string) { e.CreateAttr(name, v) }

func removeAttr(e *etree.Element, name string) {
	if attr(e, name) != nil {
		e.RemoveAttr(name)
	}
}

func splitName(name string) (space, key string) {
	if s, k, ok := strings.Cut(name, ":"); ok {
		return s, k
	}
	return "", name
}

// applyOps runs ops on d through its marshalled XML and reads the result
// back into a new Domain, refusing a result libvirtxml cannot hold whole.
func applyOps(d *libvirtxml.Domain, ops []*compiledOp) (*libvirtxml.Domain, error) {
	x, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal domain: %w", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil {
		return nil, fmt.Errorf("read marshalled domain: %w", err)
	}
	for i, op := range ops {
		if n := op.apply(doc.Root()); n == 0 && op.require {
			return nil, fmt.Errorf("ops[%d] (%s %s): selected nothing in this domain, and the op says require: true", i, op.kind, displayPath(op.segs))
		}
	}
	nd, err := readBack(doc)
	if err != nil {
		return nil, err
	}
	return nd, nil
}

// readBack unmarshals doc into a Domain, marshals that again and compares:
// an element, attribute or text the typed Domain dropped is an error naming it.
func readBack(doc *etree.Document) (*libvirtxml.Domain, error) {
	s, err := doc.WriteToString()
	if err != nil {
		return nil, fmt.Errorf("write edited domain: %w", err)
	}
	nd := &libvirtxml.Domain{}
	if err := nd.Unmarshal(s); err != nil {
		return nil, &readError{err: err}
	}
	back, err := nd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal edited domain: %w", err)
	}
	bdoc := etree.NewDocument()
	if err := bdoc.ReadFromString(back); err != nil {
		return nil, fmt.Errorf("read re-marshalled domain: %w", err)
	}
	if l := lostIn(doc.Root(), bdoc.Root(), nil); l != nil {
		return nil, l
	}
	return nd, nil
}

// readError is libvirtxml refusing to read the edited XML (a value of the
// wrong type, a missing discriminator).
type readError struct{ err error }

func (e *readError) Error() string { return "libvirtxml cannot read the result: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// LostError reports what the typed Domain could not hold.
type LostError struct {
	// What is "element <foo>", "attribute iox of <driver>" or "text of <serial>".
	What string
	// Under is the parent's path relative to /domain ("devices/interface"),
	// "/domain" at the root.
	Under string
}

func (e *LostError) Error() string {
	return fmt.Sprintf("%s under %s is not part of libvirt's domain model as libvirtxml knows it", e.What, e.Under)
}

// lostIn finds the first element, attribute or text of a missing from b.
// Children pair up by namespace and name in order, so libvirtxml's own
// ordering of sections and device kinds does not count as a change, nor do
// normalised values (slot="0x3" read back as "0x03").
func lostIn(a, b *etree.Element, where []string) *LostError {
	under := displayPath(where)
	for _, at := range a.Attr {
		if at.Space == "xmlns" || (at.Space == "" && at.Key == "xmlns") {
			continue
		}
		found := false
		uri := at.NamespaceURI()
		for _, bt := range b.Attr {
			if bt.Key == at.Key && bt.NamespaceURI() == uri {
				found = true
				break
			}
		}
		if !found {
			return &LostError{What: fmt.Sprintf("attribute %s of <%s>", at.FullKey(), a.FullTag()), Under: parentOf(where)}
		}
	}
	if strings.TrimSpace(a.Text()) != "" && strings.TrimSpace(b.Text()) == "" {
		return &LostError{What: fmt.Sprintf("text of <%s>", a.FullTag()), Under: parentOf(where)}
	}
	used := map[string]int{}
	for _, ac := range a.ChildElements() {
		key := ac.NamespaceURI() + " " + ac.Tag
		n := used[key]
		var match *etree.Element
		for _, bc := range b.ChildElements() {
			if bc.NamespaceURI()+" "+bc.Tag != key {
				continue
			}
			if n == 0 {
				match = bc
				break
			}
			n--
		}
		used[key]++
		if match == nil {
			return &LostError{What: fmt.Sprintf("element <%s>", ac.FullTag()), Under: under}
		}
		if l := lostIn(ac, match, append(where[:len(where):len(where)], ac.Tag)); l != nil {
			return l
		}
	}
	return nil
}

// parentOf is where an attribute's element sits: its parent's path.
func parentOf(where []string) string {
	if len(where) == 0 {
		return "/domain"
	}
	return displayPath(where[:len(where)-1])
}
