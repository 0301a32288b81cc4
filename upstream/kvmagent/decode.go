package kvmagent

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DecodeCommand decodes the request's JSON body into v (jsonobject.loads of
// the seed). An empty body decodes as {} (the MN sends none to /host/echo);
// unknown keys are ignored, as Python ignores them. The error text reaches
// the MN through the failure envelope, so it says what went wrong.
func DecodeCommand(req *Request, v any) error {
	body := req.Body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("malformed JSON in request body: %w", err)
	}
	return nil
}
