package kvmagent

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// MaskSensitive returns a JSON body fit for a log: the value of every key,
// at any depth, whose name looks like a secret is replaced by "*****".
// Object keys come out sorted. A body that is not JSON is not logged at all
// (it might hold a secret the masking cannot find): a placeholder says so.
// An empty body is returned as is.
func MaskSensitive(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep numbers exactly as sent
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return []byte(fmt.Sprintf("<body of %d bytes, not JSON, not logged>", len(body)))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(maskValue(v)); err != nil {
		return []byte(fmt.Sprintf("<body of %d bytes, not logged: %v>", len(body), err))
	}
	return bytes.TrimSpace(buf.Bytes())
}

func maskValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isSensitiveKey(k) {
				x[k] = maskedValue
			} else {
				x[k] = maskValue(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = maskValue(e)
		}
	}
	return v
}
