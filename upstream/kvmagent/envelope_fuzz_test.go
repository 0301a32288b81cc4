package kvmagent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzEnvelope sends random requests through the HTTP envelope: a choice of
// path (registered sync and async URIs, their slash twins, unknown ones, or
// the input's own), method, headers and body. The server must not panic, must
// answer 5xx only in the documented cases (500 for a taskuuid on a sync URI,
// 503 for a full queue or task table), and every failure body must be a JSON
// object with success:false, except the two plain-text 400s of the seed's
// async protocol (missing taskuuid, stopping). Callbacks go only to loopback.
func FuzzEnvelope(f *testing.F) {
	seeds := []struct {
		pathChoice, method uint8
		path, taskUUID     string
		cbChoice           uint8
		contentType        string
		body               []byte
	}{
		{0, 0, "", "", 0, "application/json", []byte(`{"name":"web"}`)},
		{0, 0, "", "", 0, "application/json;charset=utf-8", []byte(`{"name":`)},
		{1, 0, "", "", 0, "", nil},
		{2, 0, "", "6f1c2b7e0d9a4c3e8b5f1a2d3c4e5f60", 1, "application/json", []byte(`{"name":"x"}`)},
		{2, 0, "", "6f1c2b7e0d9a4c3e8b5f1a2d3c4e5f60", 1, "application/json", []byte(`{"name":"y"}`)},
		{3, 0, "", "t-fail", 2, "application/json", []byte(`[]`)},
		{3, 0, "", "", 1, "", []byte(`{}`)},
		{4, 0, "", "t-slash", 3, "text/plain", []byte("\xff\xfe")},
		{0, 0, "", "sync-with-task", 0, "", []byte(`{}`)},
		{5, 0, "/no/such", "", 0, "", nil},
		{6, 1, "/t/sync", "", 0, "", nil},
		{6, 2, "//t/async/..", strings.Repeat("x", 200), 1, "", []byte(`{"a":1}`)},
		{6, 0, "/t/async%00", "\r\n", 4, "application/json", bytes.Repeat([]byte("a"), 5000)},
	}
	for _, s := range seeds {
		f.Add(s.pathChoice, s.method, s.path, s.taskUUID, s.cbChoice, s.contentType, s.body)
	}

	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	defer cb.Close()
	cfg := testConfig()
	cfg.BodyLimit = 4096
	cfg.CallbackBackoff = time.Millisecond
	cfg.CallbackRetries = 2
	cfg.TaskLimit = 64
	cfg.TaskRetention = time.Millisecond // keep the table small across many inputs
	cfg.Workers = 2
	cfg.QueueLimit = 4
	s := NewServer(cfg)
	reply := func(_ context.Context, req *Request) (any, error) {
		var cmd echoCmd
		if err := DecodeCommand(req, &cmd); err != nil {
			return nil, err
		}
		return &echoRsp{AgentResponse: NewAgentResponse(), Name: cmd.Name}, nil
	}
	s.RegisterSyncURI("/t/sync", reply)
	s.RegisterSyncURI("/host/echo", func(context.Context, *Request) (any, error) { return nil, nil })
	s.RegisterAsyncURI("/t/async", reply)
	s.RegisterAsyncURI("/t/fail", func(context.Context, *Request) (any, error) { return nil, errors.New("failed") })
	s.RegisterAsyncURI("/host/ping", reply, InLane(LaneHost))
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		_ = s.Shutdown(ctx)
	}()

	paths := []string{"/t/sync", "/host/echo", "/t/async", "/t/fail", "/host/ping/", "/no/such"}
	methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete}
	callbacks := []string{"", cb.URL + "/cb", "not a url", "http://127.0.0.1:1/cb", "ftp://127.0.0.1/cb"}

	f.Fuzz(func(t *testing.T, pathChoice, method uint8, path, taskUUID string, cbChoice uint8, contentType string, body []byte) {
		p := path
		if int(pathChoice) < len(paths) {
			p = paths[pathChoice]
		}
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		req := &http.Request{
			Method:        methods[int(method)%len(methods)],
			URL:           &url.URL{Path: p},
			Header:        http.Header{},
			Body:          http.NoBody,
			Host:          "127.0.0.1",
			ContentLength: int64(len(body)),
		}
		if len(body) > 0 {
			req.Body = httpBody(body)
		}
		req = req.WithContext(context.Background())
		if contentType != "" {
			req.Header["Content-Type"] = []string{contentType}
		}
		if taskUUID != "" {
			req.Header[http.CanonicalHeaderKey(HeaderTaskUUID)] = []string{taskUUID}
		}
		if cbURL := callbacks[int(cbChoice)%len(callbacks)]; cbURL != "" {
			req.Header[http.CanonicalHeaderKey(HeaderCallbackURL)] = []string{cbURL}
		}
		w := httptest.NewRecorder()
		s.Engine().ServeHTTP(w, req)
		checkEnvelope(t, p, w.Code, w.Body.Bytes())
	})
	s.Wait()
}

type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }

func httpBody(b []byte) bodyReader { return bodyReader{bytes.NewReader(b)} }

func checkEnvelope(t *testing.T, path string, code int, body []byte) {
	t.Helper()
	switch {
	case code == http.StatusOK:
		if len(body) > 0 && !isJSONObject(body) {
			t.Fatalf("%s: 200 with a body that is not a JSON object: %q", path, body)
		}
		return
	case code == http.StatusBadRequest && (string(body) == msgTaskUUIDMissing || string(body) == msgStopping):
		return // the seed's plain-text refusals of the async protocol
	case code == http.StatusInternalServerError:
		if !strings.Contains(string(body), "is synchronous but the request carries a taskuuid header") {
			t.Fatalf("%s: undocumented 500: %s", path, body)
		}
	case code == http.StatusServiceUnavailable:
		if !strings.Contains(string(body), "full") {
			t.Fatalf("%s: undocumented 503: %s", path, body)
		}
	case code >= 500:
		t.Fatalf("%s: undocumented %d: %s", path, code, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m["success"] != false {
		t.Fatalf("%s: %d with a body that is not a failure envelope: %q", path, code, body)
	}
	if msg, _ := m["error"].(string); msg == "" {
		t.Fatalf("%s: %d failure without an error text: %q", path, code, body)
	}
}

func isJSONObject(b []byte) bool {
	var m map[string]any
	return json.Unmarshal(b, &m) == nil
}
