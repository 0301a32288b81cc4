// Package provenance records what a patch layer changed in a domain, as
// stable path strings the release-merge tool can compare across releases.
// The reference is Diff, of the domain's XML before and after the layer.
// The chain records in one of two ways, each giving Diff's result: a layer
// that reports its writes as it makes them has them walked by Rec
// (record.go: only the fields it names, against the old values it keeps);
// any other layer is recorded with Take and Typed.Changes, from a typed
// copy of its declared part, marshalling only what changed (typed.go).
// Both are cross-checked with Diff (FullDiff).
//
// # Paths
//
// A recorded path names an element or attribute from the root:
//
//	/domain/devices/disk[target=vda]/driver/@io
//	/domain/devices/controller[type=usb,index=0]
//	/domain/cputune/vcpupin[vcpu=0]/@cpuset
//	/domain/metadata/strata:tags/tag[name=team]/@value
//	/domain/qemu:commandline/qemu:arg[2]/@value
//
// Segments are element names; an element in a namespace carries a fixed
// prefix for that namespace (qemu, strata, zs; see Prefixes), whatever
// prefix the document used. The last segment may be an attribute, "@name".
// A text value (<iothreads>2</iothreads>) is recorded at its element's path.
//
// Repeated elements carry a predicate:
//   - a key predicate where KeyRules lists one for the element (disk by its
//     target dev, interface by mac, controller by type and index, vcpupin by
//     vcpu, channel by target name ...): "[k=v]" or "[k1=v1,k2=v2]", absent
//     key attributes left out; a value holding one of `,]="` is quoted Go-style;
//   - where an element has no key rule, or all its key attributes are
//     absent, and it is not alone under its parent (before or after), its
//     1-based position among the siblings of the same name: "[2]";
//   - a key shared by several siblings: the second and later get their
//     occurrence after the key, "[type=pci][2]".
//
// An element whose key changes (a disk renamed from hdc to sda) is recorded
// as removed under the old key and added under the new one. Positions shift
// when a layer inserts an element before others of the same unkeyed name;
// that is the price of having no key. A moved element (same key, another
// place among its siblings) is not a change.
//
// Declared strips predicates, giving the form layers declare in Writes.
package provenance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"libvirt.org/go/libvirtxml"
)

// Op is how a path changed.
type Op string

const (
	OpSet     Op = "set"     // an attribute or text value changed
	OpAdded   Op = "added"   // an element or attribute that was absent
	OpRemoved Op = "removed" // an element or attribute that was present
)

// Change is one recorded write: which layer did what at which path.
type Change struct {
	Layer string
	Path  string // recorded path (with predicates)
	Op    Op
	Old   string // the previous value (attributes and text), "" for elements
	New   string
	// OverrodeLayer is set when this write replaced another layer's write to
	// the same path and Layer declares overrides: [OverrodeLayer].
	OverrodeLayer string
}

// Declared is the change's path without predicates.
func (c Change) Declared() string { return Declared(c.Path) }

// Prefixes are the fixed path prefixes of the namespaces a domain carries.
var Prefixes = map[string]string{
	"http://libvirt.org/schemas/domain/qemu/1.0": "qemu",
	"https://strata.dev/xmlns/1":                 "strata",
	"http://zstack.org":                          "zs",
}

// keyPart is one component of a key predicate: its label and where the
// value lives relative to the element ("target/@dev", "@type").
type keyPart struct{ label, child, attr string }

func kp(label, rel string) keyPart {
	child, attr, _ := strings.Cut(rel, "@")
	return keyPart{label: label, child: strings.TrimSuffix(child, "/"), attr: attr}
}

// keyRules gives repeated elements their keys, by "parent/element" names.
var keyRules = map[string][]keyPart{
	"devices/disk":              {kp("target", "target/@dev")},
	"devices/interface":         {kp("mac", "mac/@address")},
	"devices/controller":        {kp("type", "@type"), kp("index", "@index")},
	"devices/channel":           {kp("target", "target/@name")},
	"devices/serial":            {kp("port", "target/@port")},
	"devices/console":           {kp("port", "target/@port")},
	"devices/parallel":          {kp("port", "target/@port")},
	"devices/input":             {kp("type", "@type"), kp("bus", "@bus")},
	"devices/graphics":          {kp("type", "@type")},
	"devices/hostdev":           {kp("type", "@type")},
	"devices/redirdev":          {kp("bus", "@bus")},
	"devices/sound":             {kp("model", "@model")},
	"devices/watchdog":          {kp("model", "@model")},
	"devices/rng":               {kp("model", "@model")},
	"devices/filesystem":        {kp("target", "target/@dir")},
	"devices/video":             {kp("model", "model/@type")},
	"cputune/vcpupin":           {kp("vcpu", "@vcpu")},
	"cputune/iothreadpin":       {kp("iothread", "@iothread")},
	"cputune/vcpusched":         {kp("vcpus", "@vcpus")},
	"iothreadids/iothread":      {kp("id", "@id")},
	"clock/timer":               {kp("name", "@name")},
	"os/boot":                   {kp("dev", "@dev")},
	"cpu/feature":               {kp("name", "@name")},
	"numa/cell":                 {kp("id", "@id")},
	"hugepages/page":            {kp("size", "@size")},
	"graphics/listen":           {kp("type", "@type")},
	"strata:tags/tag":           {kp("name", "@name")},
	"qemu:commandline/qemu:env": {kp("name", "@name")},
}

// KeyRules lists the key rules as documentation: "parent/element" to the
// predicate form, e.g. "devices/disk" -> "[target=<target/@dev>]".
func KeyRules() map[string]string {
	out := make(map[string]string, len(keyRules))
	for k, parts := range keyRules {
		var b []string
		for _, p := range parts {
			rel := "@" + p.attr
			if p.child != "" {
				rel = p.child + "/" + rel
			}
			b = append(b, p.label+"=<"+rel+">")
		}
		out[k] = "[" + strings.Join(b, ",") + "]"
	}
	return out
}

// Tree is a parsed snapshot of a domain.
type Tree struct {
	XML  string
	root *etree.Element
}

// Snapshot marshals d and parses it.
func Snapshot(d *libvirtxml.Domain) (*Tree, error) {
	x, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("provenance: marshal domain: %w", err)
	}
	return Parse(x)
}

// Parse parses domain XML.
func Parse(x string) (*Tree, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil {
		return nil, fmt.Errorf("provenance: parse domain XML: %w", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("provenance: no root element")
	}
	return &Tree{XML: x, root: root}, nil
}

// Diff lists the changes from before to after, with Layer left empty, in a
// deterministic order: per element, its attributes (sorted), its text, then
// removed children (in before's order), then the others in after's order.
func Diff(before, after *Tree) []Change {
	var out []Change
	name := elemName(after.root)
	if elemName(before.root) != name {
		return []Change{{Path: "/" + elemName(before.root), Op: OpRemoved}, {Path: "/" + name, Op: OpAdded}}
	}
	diffElem(&out, "/"+name, before.root, after.root)
	return out
}

func diffElem(out *[]Change, path string, a, b *etree.Element) {
	diffOwn(out, path, a, b)
	diffChildren(out, path, a, b)
}

// diffOwn lists an element's own changes: its attributes (sorted), its text.
func diffOwn(out *[]Change, path string, a, b *etree.Element) {
	diffAttrs(out, path, attrs(a), attrs(b))
	if at, bt := strings.TrimSpace(a.Text()), strings.TrimSpace(b.Text()); at != bt {
		*out = append(*out, Change{Path: path, Op: OpSet, Old: at, New: bt})
	}
}

// diffAttrs lists changed attributes, sorted by name.
func diffAttrs(out *[]Change, path string, aa, ba map[string]string) {
	names := make([]string, 0, len(aa)+len(ba))
	for k := range aa {
		names = append(names, k)
	}
	for k := range ba {
		if _, ok := aa[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		av, ina := aa[k]
		bv, inb := ba[k]
		p := path + "/@" + k
		switch {
		case ina && inb && av != bv:
			*out = append(*out, Change{Path: p, Op: OpSet, Old: av, New: bv})
		case !ina:
			*out = append(*out, Change{Path: p, Op: OpAdded, New: bv})
		case !inb:
			*out = append(*out, Change{Path: p, Op: OpRemoved, Old: av})
		}
	}
}

// diffChildren lists the changes below an element: removed children (in
// a's order), then the others in b's order.
func diffChildren(out *[]Change, path string, a, b *etree.Element) {
	ac, bc := a.ChildElements(), b.ChildElements()
	if len(ac) == 0 && len(bc) == 0 {
		return
	}
	parent := elemName(b)
	al, bl := labels(parent, ac, bc)
	byLabel := make(map[string]*etree.Element, len(ac))
	for i, c := range ac {
		byLabel[al[i]] = c
	}
	inAfter := make(map[string]bool, len(bc))
	for _, l := range bl {
		inAfter[l] = true
	}
	for i, c := range ac {
		if !inAfter[al[i]] {
			*out = append(*out, Change{Path: path + "/" + al[i], Op: OpRemoved, Old: summary(c)})
		}
	}
	for i, c := range bc {
		if old, ok := byLabel[bl[i]]; ok {
			diffElem(out, path+"/"+bl[i], old, c)
			continue
		}
		*out = append(*out, Change{Path: path + "/" + bl[i], Op: OpAdded, New: summary(c)})
	}
}

// maxSummary bounds an added or removed element's text in a Change: enough
// to read what a layer added in render --explain, never a whole subtree.
const maxSummary = 160

// summary is an added or removed element as one line of XML: its start tag
// with attributes, children elided ("<pmu state=\"off\"/>",
// "<rng model=\"virtio\">…</rng>").
func summary(e *etree.Element) string {
	return summaryOf(e.FullTag(), e.Attr, len(e.ChildElements()) > 0, strings.TrimSpace(e.Text()))
}

// summaryOf is summary of an element told by its parts: tag, attributes,
// whether it has child elements, its trimmed text.
func summaryOf(tag string, attrs []etree.Attr, children bool, text string) string {
	// Appended to one buffer (the chain makes a summary per added or
	// removed element); %q is strconv.Quote.
	return string(appendSummary(make([]byte, 0, 96), tag, attrs, children, text))
}

// appendSummary appends summaryOf's text to b.
func appendSummary(b []byte, tag string, attrs []etree.Attr, children bool, text string) []byte {
	b = append(b, '<')
	b = append(b, tag...)
	for _, a := range attrs {
		b = append(b, ' ')
		if a.Space != "" {
			b = append(b, a.Space...)
			b = append(b, ':')
		}
		b = append(b, a.Key...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, a.Value)
	}
	switch {
	case children:
		b = append(b, ">…</"...)
		b = append(b, tag...)
		b = append(b, '>')
	case text != "":
		b = append(b, '>')
		b = append(b, text...)
		b = append(b, "</"...)
		b = append(b, tag...)
		b = append(b, '>')
	default:
		b = append(b, "/>"...)
	}
	if len(b) > maxSummary {
		return append(b[:maxSummary:maxSummary], "…"...)
	}
	return b
}

// labels names each child of one parent in both trees: name plus predicate.
func labels(parent string, ac, bc []*etree.Element) (al, bl []string) {
	counts := map[string][2]int{}
	for _, c := range ac {
		n := counts[elemName(c)]
		n[0]++
		counts[elemName(c)] = n
	}
	for _, c := range bc {
		n := counts[elemName(c)]
		n[1]++
		counts[elemName(c)] = n
	}
	label := func(cs []*etree.Element) []string {
		out := make([]string, len(cs))
		pos := map[string]int{}
		seen := map[string]int{}
		for i, c := range cs {
			name := elemName(c)
			pos[name]++
			if rule, ok := keyRules[parent+"/"+name]; ok {
				if pred := keyPred(c, rule); pred != "" {
					l := name + pred
					seen[l]++
					if seen[l] > 1 {
						l += "[" + strconv.Itoa(seen[l]) + "]"
					}
					out[i] = l
					continue
				}
			}
			if n := counts[name]; n[0] <= 1 && n[1] <= 1 {
				out[i] = name
				continue
			}
			out[i] = name + "[" + strconv.Itoa(pos[name]) + "]"
		}
		return out
	}
	return label(ac), label(bc)
}

func keyPred(e *etree.Element, rule []keyPart) string {
	var parts []string
	for _, p := range rule {
		el := e
		if p.child != "" {
			el = nil
			for _, c := range e.ChildElements() {
				if elemName(c) == p.child {
					el = c
					break
				}
			}
		}
		if el == nil {
			continue
		}
		v, ok := attrs(el)[p.attr]
		if !ok || v == "" {
			continue
		}
		if strings.ContainsAny(v, `,]="[`) {
			v = strconv.Quote(v)
		}
		parts = append(parts, p.label+"="+v)
	}
	if len(parts) == 0 {
		return ""
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// elemName is the element's name with its namespace's fixed prefix.
func elemName(e *etree.Element) string {
	if uri := e.NamespaceURI(); uri != "" {
		if p, ok := Prefixes[uri]; ok {
			return p + ":" + e.Tag
		}
	}
	return e.FullTag()
}

// attrs maps an element's attributes by name, leaving out namespace
// declarations (they move with the marshaller, not with a layer's intent).
func attrs(e *etree.Element) map[string]string {
	m := make(map[string]string, len(e.Attr))
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		m[a.FullKey()] = a.Value
	}
	return m
}

// Declared strips the predicates of a recorded path:
// "/domain/devices/disk[target=vda]/driver/@io" -> "/domain/devices/disk/driver/@io".
func Declared(path string) string {
	if !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	b.Grow(len(path)) // one allocation: the chain asks it of every change
	depth, quoted := 0, false
	for i := 0; i < len(path); i++ {
		ch := path[i]
		switch {
		case quoted:
			if ch == '\\' {
				i++
			} else if ch == '"' {
				quoted = false
			}
		case ch == '"' && depth > 0:
			quoted = true
		case ch == '[':
			depth++
		case ch == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// Covers reports whether declared path d covers path p (itself declared
// form): equal, or p lies under d at an element boundary.
func Covers(d, p string) bool {
	return d == p || (strings.HasPrefix(p, d) && len(p) > len(d) && p[len(d)] == '/')
}

// Overlap reports whether two declared paths overlap: one covers the other.
func Overlap(a, b string) bool { return Covers(a, b) || Covers(b, a) }
