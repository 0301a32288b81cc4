package kvmagent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// marshalJSON encodes v the way Python's json.dumps does as far as the MN can
// tell: no HTML escaping of < > &, and every non-ASCII rune as \uXXXX, because
// the MN may decode a callback body without a charset as ISO-8859-1.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return asciiJSON(bytes.TrimSpace(buf.Bytes())), nil
}

const hexDigits = "0123456789abcdef"

// asciiJSON rewrites every non-ASCII rune of valid JSON text as a \uXXXX
// escape (a surrogate pair above U+FFFF). Non-ASCII can only occur inside
// strings in JSON, where the escape means the same rune.
func asciiJSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	out = append(out, b[:i]...)
	esc := func(r rune) {
		out = append(out, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			esc(r1)
			esc(r2)
			continue
		}
		esc(r) // an invalid byte decodes to U+FFFD, as encoding/json would write it
	}
	return out
}

// failureBody is @replyerror's reply: {"success":false,"error":msg}.
func failureBody(msg string) []byte {
	b, err := marshalJSON(AgentResponse{Success: false, Error: msg})
	if err != nil { // cannot happen for two plain fields
		return []byte(`{"success":false,"error":"internal error"}`)
	}
	return b
}

func successBody() []byte { return []byte(`{"success":true,"error":""}`) }

// errorText is str(exception): the error's text, never empty, since the MN
// shows it after "because".
func errorText(err error) string {
	if msg := err.Error(); msg != "" {
		return msg
	}
	return fmt.Sprintf("unknown error (%T)", err)
}

// encodeReply marshals a handler's reply. It returns a nil body for a nil
// reply. A reply must encode as a JSON object; `success` (true) and `error`
// ("") are added when missing so that every reply carries both. failText is
// the reply's error when it reports success:false itself. err reports a reply
// that cannot be sent; body is then a failure envelope saying so.
func encodeReply(reply any) (body []byte, failText string, err error) {
	if reply == nil {
		return nil, "", nil
	}
	b, mErr := marshalJSON(reply)
	if mErr != nil {
		err = fmt.Errorf("cannot encode the reply (%T): %w", reply, mErr)
		return failureBody(err.Error()), err.Error(), err
	}
	if string(b) == "null" { // a typed nil pointer
		return nil, "", nil
	}
	var fields map[string]json.RawMessage
	if b[0] != '{' || json.Unmarshal(b, &fields) != nil {
		err = fmt.Errorf("the reply (%T) is not a JSON object", reply)
		return failureBody(err.Error()), err.Error(), err
	}
	if string(fields["success"]) == "false" {
		var e string
		_ = json.Unmarshal(fields["error"], &e)
		failText = e
	}
	_, hasSuccess := fields["success"]
	_, hasError := fields["error"]
	if hasSuccess && hasError {
		return b, failText, nil
	}
	parts := make([]string, 0, 3)
	if !hasSuccess {
		parts = append(parts, `"success":true`)
	}
	if !hasError {
		parts = append(parts, `"error":""`)
	}
	if inner := bytes.TrimSpace(b[1 : len(b)-1]); len(inner) > 0 {
		parts = append(parts, string(inner))
	}
	return []byte("{" + strings.Join(parts, ",") + "}"), failText, nil
}

// headerSafe makes an error text fit an HTTP header value: ASCII, one line,
// bounded. The MN ignores the header; it is for people and proxies' logs.
func headerSafe(s string) string {
	const maxLen = 1024
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			sb.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case r < utf8.RuneSelf:
			sb.WriteRune(r)
		default:
			sb.Write(asciiJSON([]byte(string(r))))
		}
		if sb.Len() >= maxLen {
			break
		}
	}
	out := sb.String()
	if len(out) > maxLen {
		out = out[:maxLen]
	}
	return out
}
