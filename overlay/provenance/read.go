package provenance

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// readElement parses one marshalled element into the tree etree would
// build from it. encoding/xml's output is regular (elements, attributes in
// double quotes, its own few escapes), so a direct reading builds the tree
// without a decoder; anything else (comments, CDATA, processing
// instructions, other entities, a raw carriage return: raw inner XML can
// hold them) returns false, and the caller parses with etree.
func readElement(b []byte) (*etree.Element, bool) {
	var root, cur *etree.Element
	for i := 0; i < len(b); {
		if b[i] != '<' {
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				j = len(b) - i
			}
			if cur == nil {
				return nil, false // text outside the element
			}
			text, ok := unescape(b[i : i+j])
			if !ok {
				return nil, false
			}
			cur.CreateText(text)
			i += j
			continue
		}
		i++
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case '!', '?':
			return nil, false
		case '/':
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 || cur == nil || string(b[i+1:i+j]) != cur.FullTag() {
				return nil, false
			}
			cur = cur.Parent()
			i += j + 1
			continue
		}
		n := nameEnd(b, i)
		if n == i {
			return nil, false
		}
		var e *etree.Element
		switch {
		case cur != nil:
			e = cur.CreateElement(string(b[i:n]))
		case root == nil:
			e = etree.NewElement(string(b[i:n]))
			root = e
		default:
			return nil, false // a second root
		}
		next, closed, ok := readAttrs(b, n, func(key, val string) { e.CreateAttr(key, val) })
		if !ok {
			return nil, false
		}
		i = next
		if closed {
			cur = e.Parent()
		} else {
			cur = e
		}
		if cur == nil && i < len(b) {
			return nil, false // something after the root element
		}
	}
	if root == nil || cur != nil {
		return nil, false
	}
	return root, true
}

// readAttrs reads a start tag's attributes from i (just past its name) to
// its end, handing each to attr; next is past the tag, closed tells <a/>.
func readAttrs(b []byte, i int, attr func(key, val string)) (next int, closed, ok bool) {
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return 0, false, false
		}
		switch b[i] {
		case '>':
			return i + 1, false, true
		case '/':
			if i+1 >= len(b) || b[i+1] != '>' {
				return 0, false, false
			}
			return i + 2, true, true
		}
		n := nameEnd(b, i)
		if n == i || n+1 >= len(b) || b[n] != '=' || b[n+1] != '"' {
			return 0, false, false
		}
		key := string(b[i:n])
		i = n + 2
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false, false
		}
		val, ok := unescape(b[i : i+j])
		if !ok {
			return 0, false, false
		}
		attr(key, val)
		i += j + 1
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// nameEnd is the end of the name starting at i.
func nameEnd(b []byte, i int) int {
	for i < len(b) {
		switch c := b[i]; {
		case isSpace(c) || c == '>' || c == '/' || c == '=' || c == '<' || c == '"' || c == '\'' || c == '\r' || c == '&':
			return i
		}
		i++
	}
	return i
}

// unescape decodes the escapes encoding/xml writes; false for anything a
// decoder would read differently (another entity, a raw '\r', '<', or
// bytes that are not UTF-8).
func unescape(b []byte) (string, bool) {
	if bytes.IndexByte(b, '\r') >= 0 || bytes.IndexByte(b, '<') >= 0 || !utf8.Valid(b) {
		return "", false
	}
	if bytes.IndexByte(b, '&') < 0 {
		return string(b), true
	}
	var s strings.Builder
	for i := 0; i < len(b); {
		if b[i] != '&' {
			s.WriteByte(b[i])
			i++
			continue
		}
		j := bytes.IndexByte(b[i:], ';')
		if j < 0 {
			return "", false
		}
		ent := string(b[i+1 : i+j])
		switch ent {
		case "lt":
			s.WriteByte('<')
		case "gt":
			s.WriteByte('>')
		case "amp":
			s.WriteByte('&')
		case "quot":
			s.WriteByte('"')
		case "apos":
			s.WriteByte('\'')
		default:
			var n uint64
			var err error
			switch {
			case strings.HasPrefix(ent, "#x"):
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			case strings.HasPrefix(ent, "#"):
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			default:
				return "", false
			}
			if err != nil || !utf8.ValidRune(rune(n)) {
				return "", false
			}
			s.WriteRune(rune(n))
		}
		i += j + 1
	}
	return s.String(), true
}

// readSummary reads what summary needs of one marshalled element without
// building its tree: the root's tag and attributes, whether a child
// element follows its start tag, and the text before it (trimmed). Past
// that first child nothing is read: encoding/xml wrote it, and a summary
// does not show it. False where readElement would be unsure (see there);
// the caller then parses the element whole.
func readSummary(b []byte, attrs []etree.Attr) (tag string, _ []etree.Attr, children bool, text string, ok bool) {
	if len(b) < 2 || b[0] != '<' {
		return "", nil, false, "", false
	}
	n := nameEnd(b, 1)
	if n == 1 {
		return "", nil, false, "", false
	}
	tag = string(b[1:n])
	out := attrs[:0]
	i, closed, ok := readAttrs(b, n, func(key, val string) {
		// a prefixed name is split as encoding/xml's decoder splits it
		// (under etree); summary joins it back
		a := etree.Attr{Key: key, Value: val}
		if c := strings.IndexByte(key, ':'); c >= 1 && c <= len(key)-2 {
			a.Space, a.Key = key[:c], key[c+1:]
		}
		if k := sameAttr(out, a); k >= 0 {
			out[k].Value = val // etree keeps one attribute per name, the last value
		} else {
			out = append(out, a)
		}
	})
	switch {
	case !ok:
		return "", nil, false, "", false
	case closed: // <tag .../>, and nothing after it
		if i != len(b) {
			return "", nil, false, "", false
		}
		return tag, out, false, "", true
	}
	j := bytes.IndexByte(b[i:], '<')
	if j < 0 || i+j+1 >= len(b) {
		return "", nil, false, "", false
	}
	raw := b[i : i+j]
	if len(bytes.TrimLeft(raw, " \t\n")) > 0 { // text: read as a parser would
		t, ok := unescape(raw)
		if !ok {
			return "", nil, false, "", false
		}
		text = strings.TrimSpace(t)
	}
	switch b[i+j+1] {
	case '/': // the end tag: nothing else inside
		end := b[i+j+2:]
		if len(end) != len(tag)+1 || string(end[:len(tag)]) != tag || end[len(tag)] != '>' {
			return "", nil, false, "", false
		}
		return tag, out, false, text, true
	case '!', '?':
		return "", nil, false, "", false
	}
	return tag, out, true, text, true
}

func sameAttr(as []etree.Attr, a etree.Attr) int {
	for i := range as {
		if as[i].Space == a.Space && as[i].Key == a.Key {
			return i
		}
	}
	return -1
}
