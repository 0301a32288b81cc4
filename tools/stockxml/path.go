package stockxml

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// step is one element step of a recorded path: its name, its key
// predicates and its 1-based occurrence among what those select (0: all).
type step struct {
	name string
	keys [][2]string
	nth  int
}

// parsePath splits a path as overlay/provenance records it
// ("/domain/devices/disk[target=vda]/driver/@io",
// "/domain/devices/controller[type=sata,index=0]", "/domain/devices/serial[2]")
// into element steps and the final attribute, if any.
func parsePath(path string) ([]step, string, error) {
	var segs []string
	depth, quoted, start := 0, false, 0
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
		case ch == '/' && depth == 0:
			segs = append(segs, path[start:i])
			start = i + 1
		}
	}
	segs = append(segs, path[start:])
	if len(segs) < 2 || segs[0] != "" {
		return nil, "", fmt.Errorf("domain path %s: not absolute", path)
	}
	segs = segs[1:]
	attr := ""
	if last := segs[len(segs)-1]; strings.HasPrefix(last, "@") {
		attr, segs = last[1:], segs[:len(segs)-1]
	}
	steps := make([]step, 0, len(segs))
	for _, s := range segs {
		st, err := parseStep(s)
		if err != nil {
			return nil, "", fmt.Errorf("domain path %s: %w", path, err)
		}
		steps = append(steps, st)
	}
	return steps, attr, nil
}

func parseStep(s string) (step, error) {
	name, rest, _ := strings.Cut(s, "[")
	st := step{name: name}
	if name == "" {
		return st, fmt.Errorf("empty step")
	}
	for rest != "" {
		body, after, err := bracket(rest)
		if err != nil {
			return st, err
		}
		if n, err := strconv.Atoi(body); err == nil {
			st.nth = n
		} else {
			for _, kv := range splitKeys(body) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return st, fmt.Errorf("predicate %q", kv)
				}
				if strings.HasPrefix(v, `"`) {
					if v, err = strconv.Unquote(v); err != nil {
						return st, fmt.Errorf("predicate %q: %w", kv, err)
					}
				}
				st.keys = append(st.keys, [2]string{k, v})
			}
		}
		rest = strings.TrimPrefix(after, "[")
	}
	return st, nil
}

// bracket returns the predicate body up to its closing bracket (quotes
// respected) and what follows it.
func bracket(s string) (string, string, error) {
	i := indexUnquoted(s, ']')
	if i < 0 {
		return "", "", fmt.Errorf("unclosed predicate in %q", s)
	}
	return s[:i], s[i+1:], nil
}

// indexUnquoted is the index of the first c in s outside a double-quoted
// value (backslash escapes inside), or -1.
func indexUnquoted(s string, c byte) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == c:
			return i
		}
	}
	return -1
}

func splitKeys(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// find walks the steps from the document (whose root is the first step).
func find(doc *etree.Document, steps []step) []*etree.Element {
	cur := []*etree.Element{{Child: []etree.Token{doc.Root()}}}
	for _, st := range steps {
		var next []*etree.Element
		for _, e := range cur {
			next = append(next, st.match(e)...)
		}
		cur = next
	}
	return cur
}

func (st step) match(parent *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, c := range parent.ChildElements() {
		if name(c) == st.name && st.keyed(c) {
			out = append(out, c)
		}
	}
	if st.nth > 0 {
		if st.nth > len(out) {
			return nil
		}
		return out[st.nth-1 : st.nth]
	}
	return out
}

// keyed reports whether every key predicate holds. The tool links no
// overlay, so it reads a key "label=value" without provenance's key rules,
// by the shapes those rules take: the element's attribute label
// (controller[type=sata]), an attribute of its child label
// (disk[target=vda] is target/@dev, interface[mac=..] is mac/@address), or
// the attribute label of a child (serial[port=0] is target/@port).
func (st step) keyed(e *etree.Element) bool {
	for _, kv := range st.keys {
		k, v := kv[0], kv[1]
		if a := e.SelectAttr(k); a != nil && a.Value == v {
			continue
		}
		ok := false
		for _, c := range e.ChildElements() {
			if name(c) == k {
				for _, a := range c.Attr {
					ok = ok || a.Value == v
				}
			}
			if a := c.SelectAttr(k); a != nil && a.Value == v {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// name is an element's canonical name, its prefix included.
func name(e *etree.Element) string {
	if e.Space != "" {
		return e.Space + ":" + e.Tag
	}
	return e.Tag
}

// Declared is a recorded path without its predicates, as a layer declares
// it ("/domain/devices/disk[target=vda]/driver/@io" is
// "/domain/devices/disk/driver/@io").
func Declared(path string) string {
	steps, attr, err := parsePath(path)
	if err != nil {
		return path
	}
	var b strings.Builder
	for _, s := range steps {
		b.WriteString("/" + s.name)
	}
	if attr != "" {
		b.WriteString("/@" + attr)
	}
	return b.String()
}

// Covers reports whether declared path d covers declared path p: equal, or
// p lies under d at an element boundary.
func Covers(d, p string) bool {
	return d == p || (strings.HasPrefix(p, d) && len(p) > len(d) && p[len(d)] == '/')
}
