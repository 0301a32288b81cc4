package kvmagent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type echoCmd struct {
	Name string `json:"name"`
}

type echoRsp struct {
	AgentResponse
	Name string `json:"name,omitempty"`
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", s, err)
	}
	return m
}

func TestSyncURI(t *testing.T) {
	var runs atomic.Int32
	_, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterSyncURI("/t/sync", func(_ context.Context, req *Request) (any, error) {
			runs.Add(1)
			var cmd echoCmd
			if err := DecodeCommand(req, &cmd); err != nil {
				return nil, err
			}
			return &echoRsp{AgentResponse: NewAgentResponse(), Name: cmd.Name}, nil
		})
		s.RegisterSyncURI("/host/echo", func(context.Context, *Request) (any, error) { return nil, nil })
		s.RegisterSyncURI("/t/fail", func(context.Context, *Request) (any, error) {
			return nil, Errorf("vm[uuid:%s] is broken", "abc")
		})
		s.RegisterSyncURI("/t/panic", func(context.Context, *Request) (any, error) { panic("kaboom") })
	})

	tests := []struct {
		name        string
		path        string
		contentType string
		hdr         map[string]string
		body        string
		wantStatus  int
		wantBody    string // exact, when set
		wantJSON    map[string]any
	}{
		{name: "reply", path: "/t/sync", contentType: "application/json;charset=utf-8", body: `{"name":"web"}`,
			wantStatus: 200, wantJSON: map[string]any{"success": true, "error": "", "name": "web"}},
		{name: "trailing slash, plain content type", path: "/t/sync/", contentType: "application/json", body: `{"name":"db"}`,
			wantStatus: 200, wantJSON: map[string]any{"success": true, "error": "", "name": "db"}},
		{name: "empty body decodes as {}", path: "/t/sync", body: ``,
			wantStatus: 200, wantJSON: map[string]any{"success": true, "error": ""}},
		{name: "malformed JSON is the handler's failure", path: "/t/sync", body: `{"name":`,
			wantStatus: 200, wantJSON: map[string]any{"success": false, "error": "malformed JSON in request body: unexpected end of JSON input"}},
		{name: "nil reply is an empty body", path: "/host/echo", wantStatus: 200, wantBody: ""},
		{name: "nil reply, trailing slash", path: "/host/echo/", wantStatus: 200, wantBody: ""},
		{name: "error", path: "/t/fail", wantStatus: 200,
			wantJSON: map[string]any{"success": false, "error": "vm[uuid:abc] is broken"}},
		{name: "panic", path: "/t/panic", wantStatus: 200,
			wantJSON: map[string]any{"success": false, "error": "unhandled exception: kaboom"}},
		{name: "still serving after a panic", path: "/t/sync", body: `{"name":"after"}`,
			wantStatus: 200, wantJSON: map[string]any{"success": true, "error": "", "name": "after"}},
		{name: "taskuuid refused", path: "/t/sync", hdr: map[string]string{"taskuuid": "0123"}, body: `{"name":"x"}`,
			wantStatus: 500, wantJSON: map[string]any{"success": false,
				"error": "URI /t/sync is synchronous but the request carries a taskuuid header [0123]; it was sent as an async call"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.contentType != "" {
				hdr["Content-Type"] = tc.contentType
			}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			r := post(t, base+tc.path, hdr, tc.body)
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d (body %q)", r.status, tc.wantStatus, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if tc.wantJSON == nil {
				if r.body != tc.wantBody {
					t.Errorf("body %q, want %q", r.body, tc.wantBody)
				}
				return
			}
			got := decodeJSON(t, r.body)
			if fmt.Sprint(got) != fmt.Sprint(tc.wantJSON) {
				t.Errorf("body %v, want %v", got, tc.wantJSON)
			}
		})
	}
	// Six calls to /t/sync; the refused one never reached the handler.
	if n := runs.Load(); n != 5 {
		t.Errorf("sync handler ran %d times, want 5", n)
	}
}

func TestAsyncCallback(t *testing.T) {
	cb := newCollector(t)
	release := make(chan struct{})
	started := make(chan *Request, 1)
	s, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterAsyncURI("/vm/start", func(ctx context.Context, req *Request) (any, error) {
			started <- req
			<-release
			var cmd echoCmd
			if err := DecodeCommand(req, &cmd); err != nil {
				return nil, err
			}
			return &echoRsp{AgentResponse: NewAgentResponse(), Name: cmd.Name}, nil
		})
	})

	for i, path := range []string{"/vm/start", "/vm/start/"} {
		t.Run(path, func(t *testing.T) {
			tu := fmt.Sprintf("6f1c2b7e0d9a4c3e8b5f1a2d3c4e5f6%d", i)
			// The handler is blocked until after the answer: 200 comes at once.
			r := post(t, base+path, asyncHdr(tu, cb.URL+"/zstack/asyncrest/callback"), `{"name":"web-01"}`)
			if r.status != 200 || r.body != "" {
				t.Fatalf("got %d %q, want 200 and an empty body", r.status, r.body)
			}
			req := recv(t, started, "handler start")
			if req.TaskUUID != tu || req.Path != "/vm/start" || req.Header.Get("callbackurl") == "" {
				t.Errorf("request seen by the handler: %+v", req)
			}
			release <- struct{}{}
			got := cb.next(t)
			if got.path != "/zstack/asyncrest/callback" {
				t.Errorf("callback path %q", got.path)
			}
			if h := got.header.Get("taskuuid"); h != tu {
				t.Errorf("taskuuid header %q, want %q", h, tu)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if !got.closed {
				t.Error("callback without Connection: close")
			}
			if _, ok := got.header["Error"]; ok {
				t.Errorf("error header on success: %q", got.header.Get("error"))
			}
			if string(got.body) != `{"success":true,"error":"","name":"web-01"}` {
				t.Errorf("callback body %s", got.body)
			}
			s.Wait()
		})
	}
}

func TestAsyncMissingTaskUUID(t *testing.T) {
	var runs atomic.Int32
	_, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterAsyncURI("/vm/stop", func(context.Context, *Request) (any, error) { runs.Add(1); return nil, nil })
	})
	for _, path := range []string{"/vm/stop", "/vm/stop/"} {
		r := post(t, base+path, map[string]string{"callbackurl": "http://127.0.0.1:1/cb"}, `{}`)
		if r.status != 400 || r.body != "taskUuid missing in request header" {
			t.Errorf("%s: got %d %q", path, r.status, r.body)
		}
	}
	if runs.Load() != 0 {
		t.Error("handler ran without a taskuuid")
	}
}

type strangeErr struct{}

func (strangeErr) Error() string { return "" }

func TestAsyncFailures(t *testing.T) {
	tests := []struct {
		name       string
		handler    Handler
		wantBody   map[string]any
		wantHeader string
	}{
		{name: "error", handler: func(context.Context, *Request) (any, error) {
			return nil, fmt.Errorf("define domain: %w", Errorf("QoS exceed max limit"))
		}, wantBody: map[string]any{"success": false, "error": "define domain: QoS exceed max limit"},
			wantHeader: "define domain: QoS exceed max limit"},
		{name: "error with a reply drops the reply", handler: func(context.Context, *Request) (any, error) {
			return &echoRsp{AgentResponse: NewAgentResponse(), Name: "x"}, errors.New("nope")
		}, wantBody: map[string]any{"success": false, "error": "nope"}, wantHeader: "nope"},
		{name: "panic", handler: func(context.Context, *Request) (any, error) { panic(errors.New("index out of range")) },
			wantBody:   map[string]any{"success": false, "error": "unhandled exception: index out of range"},
			wantHeader: "unhandled exception: index out of range"},
		{name: "multi-line non-ASCII error fits a header", handler: func(context.Context, *Request) (any, error) {
			return nil, errors.New("line one\r\nline two é")
		}, wantBody: map[string]any{"success": false, "error": "line one\r\nline two é"},
			wantHeader: `line one  line two \u00e9`},
		{name: "empty error text", handler: func(context.Context, *Request) (any, error) { return nil, strangeErr{} },
			wantBody:   map[string]any{"success": false, "error": "unknown error (kvmagent.strangeErr)"},
			wantHeader: "unknown error (kvmagent.strangeErr)"},
		{name: "reply that is not an object", handler: func(context.Context, *Request) (any, error) { return "ok", nil },
			wantBody:   map[string]any{"success": false, "error": "the reply (string) is not a JSON object"},
			wantHeader: "the reply (string) is not a JSON object"},
		{name: "reply that cannot be encoded", handler: func(context.Context, *Request) (any, error) {
			return map[string]any{"f": func() {}}, nil
		}, wantBody: map[string]any{"success": false, "error": "cannot encode the reply (map[string]interface {}): json: unsupported type: func()"},
			wantHeader: "cannot encode the reply (map[string]interface {}): json: unsupported type: func()"},
		{name: "envelope that failed by itself is sent as is", handler: func(context.Context, *Request) (any, error) {
			rsp := &echoRsp{AgentResponse: NewAgentResponse(), Name: "kept"}
			rsp.Fail(errors.New("half done"))
			return rsp, nil
		}, wantBody: map[string]any{"success": false, "error": "half done", "name": "kept"}, wantHeader: "half done"},
	}
	cb := newCollector(t)
	s, base := newTestServer(t, testConfig(), func(s *Server) {
		for i, tc := range tests {
			s.RegisterAsyncURI(fmt.Sprintf("/t/%d", i), tc.handler)
		}
		s.RegisterAsyncURI("/t/ok", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, fmt.Sprintf("%s/t/%d", base, i), asyncHdr(fmt.Sprintf("task-%d", i), cb.URL), `{}`)
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			got := cb.next(t)
			if m := decodeJSON(t, string(got.body)); fmt.Sprint(m) != fmt.Sprint(tc.wantBody) {
				t.Errorf("callback body %s, want %v", got.body, tc.wantBody)
			}
			if h := got.header.Get("error"); h != tc.wantHeader {
				t.Errorf("error header %q, want %q", h, tc.wantHeader)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	t.Run("still serving, nil reply is a success object", func(t *testing.T) {
		post(t, base+"/t/ok", asyncHdr("task-ok", cb.URL), `{}`)
		if got := cb.next(t); string(got.body) != `{"success":true,"error":""}` {
			t.Errorf("callback body %s", got.body)
		}
	})
	s.Wait()
}

func TestCallbackIsASCII(t *testing.T) {
	const name = "云主机-é <&> 😀\u2028"
	cb := newCollector(t)
	_, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterAsyncURI("/t/name", func(context.Context, *Request) (any, error) {
			return map[string]any{"name": name}, nil
		})
	})
	post(t, base+"/t/name", asyncHdr("t1", cb.URL), `{}`)
	got := cb.next(t)
	for i, b := range got.body {
		if b >= 0x80 {
			t.Fatalf("non-ASCII byte at %d of %s", i, got.body)
		}
	}
	want := `{"success":true,"error":"","name":"\u4e91\u4e3b\u673a-\u00e9 <&> \ud83d\ude00\u2028"}`
	if string(got.body) != want {
		t.Errorf("body %s\nwant %s", got.body, want)
	}
	var back struct{ Name string }
	if err := json.Unmarshal(got.body, &back); err != nil || back.Name != name {
		t.Errorf("round trip: %v %q", err, back.Name)
	}
}

func TestDuplicateTaskWhileRunning(t *testing.T) {
	// A resend of another path or body is refused: TestReusedTaskUUID.
	for _, secondPath := range []string{"/vm/start", "/vm/start/"} {
		t.Run("second to "+secondPath, func(t *testing.T) {
			cb := newCollector(t)
			var runs atomic.Int32
			started, release := make(chan struct{}, 2), make(chan struct{})
			h := func(context.Context, *Request) (any, error) {
				runs.Add(1)
				started <- struct{}{}
				<-release
				return &echoRsp{AgentResponse: NewAgentResponse(), Name: "first"}, nil
			}
			s, base := newTestServer(t, testConfig(), func(s *Server) {
				s.RegisterAsyncURI("/vm/start", h)
				s.RegisterAsyncURI("/vm/stop", h)
			})
			if r := post(t, base+"/vm/start", asyncHdr("dup", cb.URL), `{}`); r.status != 200 {
				t.Fatalf("first: %d", r.status)
			}
			recv(t, started, "first run")
			if r := post(t, base+secondPath, asyncHdr("dup", cb.URL), `{}`); r.status != 200 || r.body != "" {
				t.Fatalf("duplicate: %d %q", r.status, r.body)
			}
			close(release)
			s.Wait()
			if n := runs.Load(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
			if n := cb.count(); n != 1 {
				t.Errorf("%d callbacks, want 1", n)
			}
		})
	}
}

func TestDuplicateTaskAfterFinish(t *testing.T) {
	tests := []struct {
		name       string
		handler    Handler
		wantBody   string
		wantHeader string
	}{
		{name: "success", handler: func(context.Context, *Request) (any, error) {
			return &echoRsp{AgentResponse: NewAgentResponse(), Name: "é"}, nil
		}, wantBody: `{"success":true,"error":"","name":"\u00e9"}`},
		{name: "failure", handler: func(context.Context, *Request) (any, error) {
			return nil, Errorf("vm[uuid:x, name:y] is already running")
		}, wantBody: `{"success":false,"error":"vm[uuid:x, name:y] is already running"}`,
			wantHeader: "vm[uuid:x, name:y] is already running"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cb := newCollector(t)
			var runs atomic.Int32
			s, base := newTestServer(t, testConfig(), func(s *Server) {
				s.RegisterAsyncURI("/vm/start", func(ctx context.Context, req *Request) (any, error) {
					runs.Add(1)
					return tc.handler(ctx, req)
				})
			})
			post(t, base+"/vm/start", asyncHdr("again", cb.URL+"/first"), `{}`)
			s.Wait()
			first := cb.next(t)
			// The MN lost the answer and resends, with a new callback URL here to
			// show the stored result goes to the new request's URL.
			if r := post(t, base+"/vm/start/", asyncHdr("again", cb.URL+"/second"), `{}`); r.status != 200 || r.body != "" {
				t.Fatalf("resend: %d %q", r.status, r.body)
			}
			s.Wait()
			second := cb.next(t)
			if n := runs.Load(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
			if first.path != "/first" || second.path != "/second" {
				t.Errorf("callback paths %q, %q", first.path, second.path)
			}
			for _, got := range []cbReq{first, second} {
				if string(got.body) != tc.wantBody {
					t.Errorf("body %s, want %s", got.body, tc.wantBody)
				}
				if got.header.Get("taskuuid") != "again" || got.header.Get("error") != tc.wantHeader {
					t.Errorf("headers %v", got.header)
				}
			}
		})
	}
}

func TestFinishedTasksExpire(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2018, 3, 9, 16, 28, 0, 0, time.UTC).UnixNano())
	cfg := testConfig()
	cfg.TaskRetention = time.Minute
	var runs atomic.Int32
	cb := newCollector(t)
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.now = func() time.Time { return time.Unix(0, clock.Load()) }
		s.RegisterAsyncURI("/host/ping", func(context.Context, *Request) (any, error) { runs.Add(1); return nil, nil })
	})
	run := func(tu string) {
		t.Helper()
		if r := post(t, base+"/host/ping", asyncHdr(tu, cb.URL), `{}`); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		s.Wait()
	}
	tableSize := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.table.tasks)
	}
	run("a")
	run("b")
	clock.Add(int64(59 * time.Second))
	run("a") // still within retention: answered from the table
	if n := runs.Load(); n != 2 {
		t.Fatalf("runs %d, want 2", n)
	}
	clock.Add(int64(time.Second))
	run("c") // a and b expire now
	if n := tableSize(); n != 1 {
		t.Errorf("task table holds %d entries, want 1", n)
	}
	run("a") // expired: a new task
	if n := runs.Load(); n != 4 {
		t.Errorf("runs %d, want 4", n)
	}
}

func TestCallbackRetries(t *testing.T) {
	status := func(codes ...int) func(int, http.ResponseWriter) bool {
		return func(try int, w http.ResponseWriter) bool {
			if try <= len(codes) {
				w.WriteHeader(codes[try-1])
				return true
			}
			return false
		}
	}
	dropFirst := func(try int, w http.ResponseWriter) bool {
		if try > 1 {
			return false
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
	tests := []struct {
		name      string
		respond   func(int, http.ResponseWriter) bool
		wantTries int
	}{
		{"5xx retried then delivered", status(503, 500), 3},
		{"connection error retried", dropFirst, 2},
		{"404 is delivered", status(404), 1},
		{"400 is not retried", status(400), 1},
		{"gives up after CallbackRetries", status(500, 500, 500, 500, 500, 500, 500), 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cb := newCollector(t)
			cb.respond = tc.respond
			s, base := newTestServer(t, testConfig(), func(s *Server) {
				s.RegisterAsyncURI("/t", func(context.Context, *Request) (any, error) { return nil, nil })
			})
			post(t, base+"/t", asyncHdr("retry", cb.URL), `{}`)
			s.Wait()
			if n := cb.count(); n != tc.wantTries {
				t.Errorf("%d tries, want %d", n, tc.wantTries)
			}
			for range tc.wantTries {
				if got := cb.next(t); string(got.body) != `{"success":true,"error":""}` || got.header.Get("taskuuid") != "retry" {
					t.Errorf("try: %s %v", got.body, got.header)
				}
			}
		})
	}
}

func TestBackoffGrowsCapped(t *testing.T) {
	s := NewServer(ServerConfig{CallbackBackoff: time.Second})
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, s.backoff(n))
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("backoff %v, want %v", got, want)
	}
}

// An async call whose reply would go nowhere is refused with the reason,
// before the task is recorded or run; the MN always sends a callbackurl.
func TestNoCallbackURL(t *testing.T) {
	tests := []struct {
		name, callbackURL string
		want              string
	}{
		{"missing", "", msgCallbackMissing},
		{"not a url", "not a url", "callbackurl [not a url] is not an http(s) URL: the reply cannot be posted to it; refusing"},
		{"no host", "http://", "callbackurl [http://] is not an http(s) URL: the reply cannot be posted to it; refusing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var runs atomic.Int32
			cb := newCollector(t)
			s, base := newTestServer(t, testConfig(), func(s *Server) {
				s.RegisterAsyncURI("/t", func(context.Context, *Request) (any, error) { runs.Add(1); return nil, nil })
			})
			r := post(t, base+"/t", asyncHdr("n1", tc.callbackURL), `{}`)
			if r.status != 400 || failure(t, r) != tc.want {
				t.Errorf("answer %d %s, want 400 %q", r.status, r.body, tc.want)
			}
			// Not recorded: the same task with a callbackurl runs once.
			if r := post(t, base+"/t", asyncHdr("n1", cb.URL), `{}`); r.status != 200 {
				t.Errorf("with a callbackurl: %d %s", r.status, r.body)
			}
			s.Wait()
			cb.next(t)
			if n := runs.Load(); n != 1 {
				t.Errorf("%d runs, want 1", n)
			}
		})
	}
}

func TestShutdownFinishesRunningTasks(t *testing.T) {
	cb := newCollector(t)
	started, release := make(chan struct{}), make(chan struct{})
	s, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterAsyncURI("/vm/start", func(context.Context, *Request) (any, error) {
			close(started)
			<-release
			return &echoRsp{AgentResponse: NewAgentResponse(), Name: "done"}, nil
		})
		s.RegisterSyncURI("/host/echo", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	post(t, base+"/vm/start", asyncHdr("running", cb.URL), `{}`)
	recv(t, started, "task start")

	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	recv(t, s.stoppingCh, "shutdown start")

	for _, tc := range []struct{ path, tu string }{{"/vm/start", "new"}, {"/vm/start", "running"}, {"/vm/start/", ""}} {
		if r := post(t, base+tc.path, asyncHdr(tc.tu, cb.URL), `{}`); r.status != 400 || r.body != "kvmagent is stopping" {
			t.Errorf("async while stopping (%s %q): %d %q", tc.path, tc.tu, r.status, r.body)
		}
	}
	if r := post(t, base+"/host/echo", nil, ``); r.status != 200 {
		t.Errorf("sync while stopping: %d", r.status)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a task running", err)
	default:
	}
	close(release)
	if err := recv(t, done, "shutdown"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Shutdown waited for the callback, so it is already here.
	if n := cb.count(); n != 1 {
		t.Fatalf("%d callbacks after Shutdown, want 1", n)
	}
	if got := cb.next(t); string(got.body) != `{"success":true,"error":"","name":"done"}` {
		t.Errorf("callback %s", got.body)
	}
}

func TestShutdownDeadline(t *testing.T) {
	cb := newCollector(t)
	cb.respond = func(int, http.ResponseWriter) bool { panic(http.ErrAbortHandler) } // every try fails
	cfg := testConfig()
	cfg.CallbackRetries = 1000
	cfg.Workers = 1
	started := make(chan struct{})
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/t", func(ctx context.Context, req *Request) (any, error) {
			if req.TaskUUID == "stuck" {
				close(started)
				<-ctx.Done() // the hard stop reaches handlers through ctx
				return nil, fmt.Errorf("interrupted: %w", ctx.Err())
			}
			return nil, nil
		})
	})
	post(t, base+"/t", asyncHdr("stuck", cb.URL), `{}`)
	recv(t, started, "task start")
	post(t, base+"/t", asyncHdr("queued", cb.URL), `{}`) // waits for the only worker

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(ctx) }()
	recv(t, s.stoppingCh, "shutdown start")
	cancel()
	if err := recv(t, done, "shutdown"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v, want context.Canceled", err)
	}
	waited := make(chan struct{})
	go func() { s.Wait(); close(waited) }()
	recv(t, waited, "tasks to stop after the hard stop")
}

func TestWorkersBound(t *testing.T) {
	cfg := testConfig()
	cfg.Workers = 2
	cb := newCollector(t)
	var cur, peak atomic.Int32
	started, release := make(chan struct{}, 3), make(chan struct{})
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/t", func(context.Context, *Request) (any, error) {
			n := cur.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			started <- struct{}{}
			<-release
			cur.Add(-1)
			return nil, nil
		})
	})
	for i := range 3 {
		if r := post(t, base+"/t", asyncHdr(fmt.Sprint("w", i), cb.URL), `{}`); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	recv(t, started, "first")
	recv(t, started, "second")
	s.mu.Lock()
	active := s.active
	s.mu.Unlock()
	if len(s.lanes[LaneVM].workers) != 2 || active != 3 {
		t.Errorf("pool %d/2 busy, %d tasks accepted; want 2 and 3", len(s.lanes[LaneVM].workers), active)
	}
	close(release)
	s.Wait()
	if p := peak.Load(); p > 2 {
		t.Errorf("%d handlers ran at once, want at most 2", p)
	}
	if n := cb.count(); n != 3 {
		t.Errorf("%d callbacks, want 3", n)
	}
}

func TestBodyLimit(t *testing.T) {
	cfg := testConfig()
	cfg.BodyLimit = 64
	cb := newCollector(t)
	var runs atomic.Int32
	h := func(context.Context, *Request) (any, error) { runs.Add(1); return nil, nil }
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterSyncURI("/s", h)
		s.RegisterAsyncURI("/a", h)
	})
	fits := `{"name":"` + strings.Repeat("x", 64-11) + `"}`
	tooBig := `{"name":"` + strings.Repeat("x", 64-10) + `"}`
	tests := []struct {
		path, body string
		hdr        map[string]string
		want       int
	}{
		{"/s", fits, nil, 200},
		{"/a", fits, asyncHdr("fits", cb.URL), 200},
		{"/s", tooBig, nil, 413},
		{"/a", tooBig, asyncHdr("big", cb.URL), 413},
	}
	for _, tc := range tests {
		r := post(t, base+tc.path, tc.hdr, tc.body)
		if r.status != tc.want {
			t.Errorf("%s with %d bytes: %d, want %d", tc.path, len(tc.body), r.status, tc.want)
		}
		if tc.want == 413 {
			m := decodeJSON(t, r.body)
			if m["success"] != false || m["error"] != "request body exceeds the limit of 64 bytes" {
				t.Errorf("413 body %s", r.body)
			}
		}
	}
	s.Wait()
	if n := runs.Load(); n != 2 {
		t.Errorf("handler ran %d times, want 2", n)
	}
}

func TestMethodAndUnknownPath(t *testing.T) {
	_, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterSyncURI("/host/echo", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	r, err := http.Get(base + "/host/echo")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.StatusCode)
	}
	if r := post(t, base+"/no/such", nil, `{}`); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
}

func TestRoutes(t *testing.T) {
	s := NewServer(testConfig())
	nop := func(context.Context, *Request) (any, error) { return nil, nil }
	s.RegisterAsyncURI("/vm/start", nop)
	s.RegisterSyncURI("/host/echo/", nop)
	s.RegisterAsyncURI("host/ping", nop)
	want := []Route{{"/host/echo", false, ""}, {"/host/ping", true, LaneVM}, {"/vm/start", true, LaneVM}}
	if got := s.Routes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Routes %v, want %v", got, want)
	}
	for _, p := range []string{"/host/echo", "host/echo/", "/vm/start"} {
		if h, ok := s.Handler(p); !ok || h == nil {
			t.Errorf("Handler(%q) = %v, %v", p, h != nil, ok)
		}
	}
	if _, ok := s.Handler("/no/such"); ok {
		t.Error("Handler of an unregistered path")
	}
	defer func() {
		if recover() == nil {
			t.Error("registering /vm/start/ twice did not panic")
		}
	}()
	s.RegisterSyncURI("/vm/start/", nop)
}

func TestServeAndShutdown(t *testing.T) {
	cfg := testConfig()
	cfg.Addr = "127.0.0.1:0"
	s := NewServer(cfg)
	s.RegisterSyncURI("/host/echo", func(context.Context, *Request) (any, error) { return nil, nil })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	if r := post(t, "http://"+l.Addr().String()+"/host/echo", nil, ``); r.status != 200 {
		t.Fatalf("echo: %d", r.status)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, served, "Serve to return"); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if err := s.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	got := NewServer(ServerConfig{}).Config()
	if got.Addr != "0.0.0.0:7070" || got.CallbackTimeout != 120*time.Second || got.CallbackRetries != 15 ||
		got.CallbackBackoff != time.Second || got.BodyLimit != 16<<20 || got.TaskRetention != 10*time.Minute ||
		got.Workers != 10 || got.Logger == nil {
		t.Errorf("defaults %+v", got)
	}
	if got.QueueLimit != 256 || got.QueueBytes != 64<<20 || got.MaxTaskUUIDLen != 128 || got.TaskLimit != 4096 ||
		got.MaxRedeliveries != 3 || got.CallbackDeadline != 10*time.Minute || got.CallbackConcurrency != 32 ||
		got.ReadHeaderTimeout != time.Minute || got.ReadTimeout != time.Minute || got.WriteTimeout != 30*time.Second ||
		got.SyncWriteTimeout != 330*time.Second || got.IdleTimeout != time.Minute || got.HeaderLimit != 64<<10 {
		t.Errorf("bounds %+v", got)
	}
	wantLanes := map[string]LaneConfig{
		LaneVM:    {Workers: 10, QueueLimit: 256, QueueBytes: 64 << 20},
		LaneHost:  {Workers: 4, QueueLimit: 256, QueueBytes: 64 << 20},
		LaneQuery: {Workers: 4, QueueLimit: 256, QueueBytes: 64 << 20},
	}
	if fmt.Sprint(got.Lanes) != fmt.Sprint(wantLanes) {
		t.Errorf("lanes %v, want %v", got.Lanes, wantLanes)
	}
	mine := map[string]LaneConfig{"disk": {Workers: 2}}
	got = NewServer(ServerConfig{Workers: 3, QueueLimit: 5, Lanes: mine}).Config()
	wantLanes = map[string]LaneConfig{
		"disk":    {Workers: 2, QueueLimit: 5, QueueBytes: 64 << 20},
		LaneVM:    {Workers: 3, QueueLimit: 5, QueueBytes: 64 << 20},
		LaneHost:  {Workers: 4, QueueLimit: 5, QueueBytes: 64 << 20},
		LaneQuery: {Workers: 4, QueueLimit: 5, QueueBytes: 64 << 20},
	}
	if fmt.Sprint(got.Lanes) != fmt.Sprint(wantLanes) || len(mine) != 1 {
		t.Errorf("lanes %v, want %v (caller's map %v)", got.Lanes, wantLanes, mine)
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRequestLogging(t *testing.T) {
	var logs syncBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cb := newCollector(t)
	started, release := make(chan struct{}), make(chan struct{})
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/vm/start", func(context.Context, *Request) (any, error) {
			close(started)
			<-release
			return nil, nil
		})
	})
	body := `{"vmName":"web-01","consolePassword":"s3cret","addons":{"ceph_secret_key":"AQBvqN9a=="}}`
	post(t, base+"/vm/start", asyncHdr("logged", cb.URL), body)
	recv(t, started, "task start")
	post(t, base+"/vm/start", asyncHdr("logged", cb.URL), body)
	close(release)
	s.Wait()
	out := logs.String()
	for _, want := range []string{`"msg":"request","path":"/vm/start","taskuuid":"logged"`, `"msg":"ignored duplicated task"`,
		`"consolePassword\":\"*****\"`, `"vmName\":\"web-01\"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{"s3cret", "AQBvqN9a"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %s:\n%s", secret, out)
		}
	}
}
