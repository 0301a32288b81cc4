package vmplugin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Python 2 semantics the seed leans on, kept in one place so each builder
// reads like its Python line.

// pyLstrip is str.lstrip(chars): chars is a set, not a prefix, so
// lstrip('ceph:') also eats a pool name's leading 'c', 'e', 'p' or 'h'.
// strings.TrimLeft has exactly that cutset meaning.
func pyLstrip(s, chars string) string { return strings.TrimLeft(s, chars) }

// stripCephPrefix is the seed's path.lstrip('ceph:').lstrip('//').
func stripCephPrefix(p string) string { return pyLstrip(pyLstrip(p, "ceph:"), "//") }

// stripFusionstorPrefix is path.lstrip('fusionstor:').lstrip('//').
func stripFusionstorPrefix(p string) string { return pyLstrip(pyLstrip(p, "fusionstor:"), "//") }

// pyIndex resolves a Python sequence index: negative counts from the end.
// ok is false where Python raises IndexError.
func pyIndex(i, n int) (int, bool) {
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

// pyDirname is os.path.dirname (posixpath): everything before the last
// '/', with trailing slashes dropped unless it is all slashes.
func pyDirname(p string) string {
	i := strings.LastIndexByte(p, '/') + 1
	head := p[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// pyWhitespace is what Python 2's int() strips around a literal.
const pyWhitespace = " \t\n\r\v\f"

var errPyInt = errors.New("invalid literal for int()")

// pyInt is Python 2's int(s, base) for base 10 or 16: surrounding
// whitespace, an optional sign and, in base 16, an optional 0x prefix.
func pyInt(s string, base int) (int64, error) {
	t := strings.Trim(s, pyWhitespace)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if base == 16 && len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") {
		t = t[2:]
	}
	// ParseUint would accept its own prefixes and underscores in base 0
	// only; with an explicit base it takes plain digits, as Python 2 does.
	if t == "" || strings.ContainsAny(t, "+-_") {
		return 0, fmt.Errorf("%w with base %d: %q", errPyInt, base, s)
	}
	v, err := strconv.ParseInt(t, base, 64)
	if err != nil {
		return 0, fmt.Errorf("%w with base %d: %q", errPyInt, base, s)
	}
	if neg {
		v = -v
	}
	return v, nil
}

// pyHex is Python 2's hex() of an int: 0x1f, -0x1.
func pyHex(v int64) string {
	if v < 0 {
		return "-0x" + strconv.FormatUint(uint64(-v), 16)
	}
	return "0x" + strconv.FormatUint(uint64(v), 16)
}

// floorDiv is Python 2's integer '/' (floor division), which differs from
// Go's truncation for negative numbers.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func uintPtr(v uint) *uint { return &v }
func intPtr(v int) *int    { return &v }
