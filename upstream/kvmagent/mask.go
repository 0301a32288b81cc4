package kvmagent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// maskedValue replaces a sensitive value in logs.
const maskedValue = "*****"

// sensitiveWords mark a JSON key as secret when its name contains one of
// them, in any case: consolePassword, ceph_secret_key, chapPassword, userKey…
var sensitiveWords = []string{"password", "passwd", "secret", "key", "token", "chap"}

// isSensitiveKey reports whether a key's value must not be logged. Keys ending
// in "uuid" (secretUuid, ceph_secret_uuid) name a secret without holding it,
// and are kept because they are what one greps logs for.
func isSensitiveKey(k string) bool {
	k = strings.ToLower(k)
	if strings.HasSuffix(k, "uuid") {
		return false
	}
	for _, w := range sensitiveWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// maxNesting bounds how many JSON-in-a-string layers MaskSensitive opens.
const maxNesting = 8

// MaskSensitive returns a JSON body fit for a log: the value of every key,
// at any depth, whose name looks like a secret is replaced by "*****".
// Object keys come out sorted. A string value that itself holds a JSON
// object or array (a body sent as a JSON string, or a field carrying
// encoded JSON) is masked inside the same way and stays a string.
// A body that is not JSON, or is a JSON scalar other than such a string,
// is not logged at all (it might hold a secret the masking cannot find):
// a placeholder says so. An empty body is returned as is.
func MaskSensitive(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return body
	}
	v, ok := decodeForMask(body)
	if !ok {
		return []byte(fmt.Sprintf("<body of %d bytes, not JSON, not logged>", len(body)))
	}
	v, err := maskValue(v, 0)
	if err == nil {
		if _, isContainer := unwrapString(v); !isContainer {
			err = errors.New("not a JSON object or array")
		}
	}
	var out []byte
	if err == nil {
		out, err = encodeForLog(v)
	}
	if err != nil {
		return []byte(fmt.Sprintf("<body of %d bytes, not logged: %v>", len(body), err))
	}
	return out
}

// maskedString is a string that held JSON, masked inside, re-encoded.
type maskedString struct {
	inner any // map or slice
	text  string
}

// unwrapString reports whether v is (or is a string holding) an object or array.
func unwrapString(v any) (any, bool) {
	if m, ok := v.(maskedString); ok {
		return m.inner, true
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, true
	}
	return v, false
}

func decodeForMask(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep numbers exactly as sent
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

func encodeForLog(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(toPlain(v)); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// toPlain replaces masked strings by their re-encoded text.
func toPlain(v any) any {
	switch x := v.(type) {
	case maskedString:
		return x.text
	case map[string]any:
		for k, e := range x {
			x[k] = toPlain(e)
		}
	case []any:
		for i, e := range x {
			x[i] = toPlain(e)
		}
	}
	return v
}

func maskValue(v any, depth int) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isSensitiveKey(k) {
				x[k] = maskedValue
				continue
			}
			m, err := maskValue(e, depth)
			if err != nil {
				return nil, err
			}
			x[k] = m
		}
	case []any:
		for i, e := range x {
			m, err := maskValue(e, depth)
			if err != nil {
				return nil, err
			}
			x[i] = m
		}
	case string:
		return maskString(x, depth)
	}
	return v, nil
}

// secretOption is a secret-bearing option value inside a plain string, as
// in a QEMU argument "-object secret,id=s0,data=..." or "password=...": the
// value after an option name holding one of the sensitive words, up to
// the next comma.
var secretOption = regexp.MustCompile(`(?i)(^|[,\s])([a-z0-9_.-]*(?:password|passwd|secret|key|token|data))=([^,\s]*)`)

// maskOptions masks the values of secret-bearing options in s.
func maskOptions(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	return secretOption.ReplaceAllString(s, "${1}${2}="+maskedValue)
}

// maskString opens a string that holds a JSON object or array (or a string
// that does, as a twice-encoded body is) and masks inside it. Any other
// string keeps its text, but for the values of secret-bearing options in it.
func maskString(s string, depth int) (any, error) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[' && t[0] != '"') {
		return maskOptions(s), nil
	}
	inner, ok := decodeForMask([]byte(t))
	if !ok {
		return s, nil
	}
	if depth >= maxNesting {
		return nil, fmt.Errorf("JSON nested in strings more than %d deep", maxNesting)
	}
	m, err := maskValue(inner, depth+1)
	if err != nil {
		return nil, err
	}
	if _, isContainer := unwrapString(m); !isContainer {
		return s, nil // a quoted plain string: nothing to mask by key
	}
	text, err := encodeForLog(m)
	if err != nil {
		return nil, err
	}
	return maskedString{inner: m, text: string(text)}, nil
}
