package layer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// checkKeys reads raw (valid JSON) next to the Go type and names the first
// key (in sorted order per object, so the error is stable) that the type
// lacks. encoding/json's own unknown-field error names the key but not its
// path, and matches names case-insensitively; here a key must match its
// tag exactly. It scans the bytes in place: no tree of the block is built.
// A key given twice is checked in each of its values.
func checkKeys(raw []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	raw = bytes.TrimSpace(raw)
	switch t.Kind() {
	case reflect.Struct:
		if len(raw) == 0 || raw[0] != '{' {
			return nil // a type mismatch: the decoder reports it with the field
		}
		var buf [8]member // blocks are small objects: no allocation
		members, err := objectMembers(raw, buf[:0])
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fields := jsonFieldsOf(t)
		for _, m := range members {
			ft, ok := fields[string(m.key)]
			if !ok {
				return fmt.Errorf("%s.%s: unknown field", path, m.key)
			}
			if needsCheck(ft) {
				if err := checkKeys(m.value, ft, path+"."+string(m.key)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice:
		if len(raw) == 0 || raw[0] != '[' || !needsCheck(t.Elem()) {
			return nil
		}
		s := scanner{b: raw, i: 1}
		for i := 0; ; i++ {
			s.space()
			if s.peek() == ']' {
				return nil
			}
			start := s.i
			if err := s.skipValue(); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if err := checkKeys(raw[start:s.i], t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
			s.space()
			if s.peek() == ',' {
				s.i++
			}
		}
	}
	return nil
}

// needsCheck: only structs (and lists of them) have keys to check.
func needsCheck(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

var jsonFields sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFieldsOf is t's fields by json tag name, made once per type.
func jsonFieldsOf(t reflect.Type) map[string]reflect.Type {
	if f, ok := jsonFields.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f.Type
	}
	jsonFields.Store(t, fields)
	return fields
}

type member struct {
	key   []byte // unquoted
	value []byte
}

// objectMembers are an object's members sorted by key; a repeated key's
// values stay in document order, and each is checked (json decodes them
// all, the last winning: an unknown key in an earlier one is still a typo).
func objectMembers(obj []byte, out []member) ([]member, error) {
	s := scanner{b: obj, i: 1}
	for {
		s.space()
		switch s.peek() {
		case '}':
			slices.SortStableFunc(out, func(a, b member) int { return bytes.Compare(a.key, b.key) })
			return out, nil
		case ',':
			s.i++
			continue
		}
		ks := s.i
		if err := s.skipString(); err != nil {
			return nil, err
		}
		key, err := unquote(obj[ks:s.i])
		if err != nil {
			return nil, err
		}
		s.space()
		if s.peek() != ':' {
			return nil, errBadJSON
		}
		s.i++
		s.space()
		vs := s.i
		if err := s.skipValue(); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, value: obj[vs:s.i]})
	}
}

func unquote(q []byte) ([]byte, error) {
	if slices.Contains(q, '\\') || !utf8.Valid(q) { // json reads bad UTF-8 as U+FFFD
		var s string
		err := json.Unmarshal(q, &s)
		return []byte(s), err
	}
	return q[1 : len(q)-1], nil
}

var errBadJSON = errors.New("invalid JSON")

// scanner walks JSON that encoding/json has already found valid (excmd
// keeps each block as a checked json.RawMessage); on anything else it
// stops with errBadJSON rather than reading past the end.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) && isJSONSpace(s.b[s.i]) {
		s.i++
	}
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) skipString() error {
	if s.peek() != '"' {
		return errBadJSON
	}
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return nil
		}
	}
	return errBadJSON
}

func (s *scanner) skipValue() error {
	switch s.peek() {
	case '"':
		return s.skipString()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if err := s.skipString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errBadJSON
	case 0:
		return errBadJSON
	}
	for s.i < len(s.b) { // a number or literal runs to a delimiter
		switch c := s.b[s.i]; {
		case c == ',' || c == '}' || c == ']' || isJSONSpace(c):
			return nil
		}
		s.i++
	}
	return nil
}
