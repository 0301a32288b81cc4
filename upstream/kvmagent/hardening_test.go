package kvmagent

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// leakCheck fails the test when goroutines started during it outlive it. It
// runs after every cleanup registered later (cleanups run last-in first-out).
func leakCheck(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		goleak.VerifyNone(t, ignore)
	})
}

// logTo returns a config logging JSON at debug level into buf.
func logTo(cfg ServerConfig, buf *syncBuffer) ServerConfig {
	cfg.Logger = slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return cfg
}

// serveTestServer serves s itself on a loopback listener, so that the
// http.Server's timeouts apply (httptest would bring its own server).
func serveTestServer(t *testing.T, cfg ServerConfig, register func(s *Server)) (*Server, string) {
	t.Helper()
	s := NewServer(cfg)
	if register != nil {
		register(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-served
	})
	return s, l.Addr().String()
}

// failure decodes a refusal's JSON envelope and returns its error text.
func failure(t *testing.T, r resp) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q of a failure", ct)
	}
	m := decodeJSON(t, r.body)
	if m["success"] != false {
		t.Errorf("failure without success:false: %s", r.body)
	}
	msg, _ := m["error"].(string)
	return msg
}

type memFigures struct {
	goroutines int
	heapInuse  uint64
}

func measure() memFigures {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memFigures{runtime.NumGoroutine(), ms.HeapInuse}
}

func (m memFigures) String() string {
	return fmt.Sprintf("%d goroutines, heap in use %.1f MiB", m.goroutines, float64(m.heapInuse)/(1<<20))
}

// Finding 4: ten VM tasks that hang hold every VM worker; a host call still
// runs and calls back, while they hang.
func TestHostLaneNotStarvedByVMWork(t *testing.T) {
	leakCheck(t)
	cb := newCollector(t)
	release := make(chan struct{})
	var vmStarted, vmDone atomic.Int32
	started := make(chan struct{}, DefaultWorkers)
	s, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterAsyncURI("/vm/start", func(context.Context, *Request) (any, error) {
			vmStarted.Add(1)
			started <- struct{}{}
			<-release
			vmDone.Add(1)
			return nil, nil
		})
		s.RegisterAsyncURI("/host/ping", func(context.Context, *Request) (any, error) {
			return map[string]any{"hostUuid": "h1"}, nil
		}, InLane(LaneHost))
	})
	defer close(release)
	for i := range DefaultWorkers + 1 { // the last one waits in the VM queue
		if r := post(t, base+"/vm/start", asyncHdr(fmt.Sprint("vm-", i), cb.URL+"/vm"), `{}`); r.status != 200 {
			t.Fatalf("vm %d: %d %s", i, r.status, r.body)
		}
	}
	for range DefaultWorkers {
		recv(t, started, "VM task start")
	}
	if r := post(t, base+"/host/ping", asyncHdr("ping-1", cb.URL+"/ping"), `{"hostUuid":"h1"}`); r.status != 200 {
		t.Fatalf("ping: %d %s", r.status, r.body)
	}
	got := cb.next(t)
	if got.path != "/ping" || string(got.body) != `{"success":true,"error":"","hostUuid":"h1"}` {
		t.Errorf("first callback %s %s, want the ping's", got.path, got.body)
	}
	if n, d := vmStarted.Load(), vmDone.Load(); n != DefaultWorkers || d != 0 {
		t.Errorf("%d VM tasks started, %d done while ping answered; want %d and 0", n, d, DefaultWorkers)
	}
	if want := (Route{Path: "/host/ping", Async: true, Lane: LaneHost}); fmt.Sprint(s.Routes()[0]) != fmt.Sprint(want) {
		t.Errorf("route %v, want %v", s.Routes()[0], want)
	}
}

func TestInLaneUnknownPanics(t *testing.T) {
	s := NewServer(testConfig())
	defer func() {
		v := recover()
		if v == nil || !strings.Contains(fmt.Sprint(v), `lane "hots", which is not configured (lanes: host, query, vm)`) {
			t.Errorf("panic %v", v)
		}
	}()
	s.RegisterAsyncURI("/host/ping", func(context.Context, *Request) (any, error) { return nil, nil }, InLane("hots"))
}

// Finding 5: a lane's queue is bounded in tasks and in the bytes of their
// bodies; a full queue is refused with 503 and a JSON failure.
func TestAsyncQueueBound(t *testing.T) {
	tests := []struct {
		name       string
		queueLimit int
		queueBytes int64
		bodies     []int // body sizes; the first runs, the others queue
		wantErr    string
	}{
		{name: "count", queueLimit: 2, queueBytes: 1 << 20, bodies: []int{10, 10, 10, 10},
			wantErr: "async queue of lane vm is full: 2 tasks (20 body bytes) wait for its 1 workers; retry later"},
		{name: "bytes", queueLimit: 100, queueBytes: 100, bodies: []int{80, 80, 30},
			wantErr: "async queue of lane vm is full: 1 tasks (80 body bytes) wait for its 1 workers; retry later"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			cfg := testConfig()
			cfg.Workers, cfg.QueueLimit, cfg.QueueBytes = 1, tc.queueLimit, tc.queueBytes
			cb := newCollector(t)
			release := make(chan struct{})
			var runs atomic.Int32
			s, base := newTestServer(t, cfg, func(s *Server) {
				s.RegisterAsyncURI("/vm/start", func(context.Context, *Request) (any, error) {
					runs.Add(1)
					<-release
					return nil, nil
				})
				s.RegisterAsyncURI("/host/ping", func(context.Context, *Request) (any, error) { return nil, nil }, InLane(LaneHost))
			})
			body := func(n int) string { return `"` + strings.Repeat("x", n-2) + `"` }
			last := len(tc.bodies) - 1
			for i, n := range tc.bodies[:last] {
				if r := post(t, base+"/vm/start", asyncHdr(fmt.Sprint("q", i), cb.URL), body(n)); r.status != 200 {
					t.Fatalf("task %d: %d %s", i, r.status, r.body)
				}
			}
			r := post(t, base+"/vm/start", asyncHdr("over", cb.URL), body(tc.bodies[last]))
			if r.status != http.StatusServiceUnavailable || failure(t, r) != tc.wantErr {
				t.Errorf("full queue: %d %s, want 503 %q", r.status, r.body, tc.wantErr)
			}
			// A resend of a queued task is still a duplicate, not a new task.
			if r := post(t, base+"/vm/start", asyncHdr("q1", cb.URL), body(tc.bodies[1])); r.status != 200 {
				t.Errorf("resend of a queued task: %d %s", r.status, r.body)
			}
			// Other lanes keep their own queue.
			if r := post(t, base+"/host/ping", asyncHdr("ping", cb.URL), `{}`); r.status != 200 {
				t.Errorf("host lane: %d %s", r.status, r.body)
			}
			close(release)
			s.Wait()
			if r := post(t, base+"/vm/start", asyncHdr("over", cb.URL), body(tc.bodies[last])); r.status != 200 {
				t.Errorf("retry once the queue drained: %d %s", r.status, r.body)
			}
			s.Wait()
			if n := runs.Load(); n != int32(len(tc.bodies)) {
				t.Errorf("%d runs, want %d", n, len(tc.bodies))
			}
		})
	}
}

// Finding 5: task ids are bounded in length.
func TestTaskUUIDLength(t *testing.T) {
	leakCheck(t)
	cb := newCollector(t)
	var runs atomic.Int32
	s, base := newTestServer(t, testConfig(), func(s *Server) {
		s.RegisterAsyncURI("/vm/stop", func(context.Context, *Request) (any, error) { runs.Add(1); return nil, nil })
		s.RegisterSyncURI("/host/echo", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	if r := post(t, base+"/vm/stop", asyncHdr(strings.Repeat("a", 128), cb.URL), `{}`); r.status != 200 {
		t.Errorf("128 bytes: %d %s", r.status, r.body)
	}
	r := post(t, base+"/vm/stop", asyncHdr(strings.Repeat("b", 129), cb.URL), `{}`)
	if want := "taskuuid is 129 bytes long, more than the limit of 128 bytes; refusing"; r.status != 400 || failure(t, r) != want {
		t.Errorf("129 bytes: %d %s, want 400 %q", r.status, r.body, want)
	}
	// The sync refusal quotes the id, clipped.
	r = post(t, base+"/host/echo", asyncHdr(strings.Repeat("c", 1000), ""), ``)
	if r.status != 500 || len(r.body) > 400 || !strings.Contains(failure(t, r), strings.Repeat("c", 128)+"...]") {
		t.Errorf("sync with a long taskuuid: %d %s", r.status, r.body)
	}
	s.Wait()
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
}

// Finding 5: the task table is bounded; finished tasks expire first.
func TestTaskTableLimit(t *testing.T) {
	leakCheck(t)
	var clock atomic.Int64
	clock.Store(time.Date(2018, 3, 9, 16, 28, 0, 0, time.UTC).UnixNano())
	cfg := testConfig()
	cfg.TaskLimit, cfg.TaskRetention = 2, time.Minute
	cb := newCollector(t)
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.now = func() time.Time { return time.Unix(0, clock.Load()) }
		s.RegisterAsyncURI("/host/ping", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	for _, tu := range []string{"a", "b"} {
		if r := post(t, base+"/host/ping", asyncHdr(tu, cb.URL), `{}`); r.status != 200 {
			t.Fatalf("%s: %d", tu, r.status)
		}
		s.Wait()
	}
	r := post(t, base+"/host/ping", asyncHdr("c", cb.URL), `{}`)
	want := "task table full: 2 tasks queued, running or kept 1m0s for duplicate suppression; retry later"
	if r.status != 503 || failure(t, r) != want {
		t.Errorf("full table: %d %s, want 503 %q", r.status, r.body, want)
	}
	clock.Add(int64(time.Minute))
	if r := post(t, base+"/host/ping", asyncHdr("c", cb.URL), `{}`); r.status != 200 {
		t.Errorf("after expiry: %d %s", r.status, r.body)
	}
	s.Wait()
}

// Finding 6: a task uuid reused for another path or body is refused; only a
// byte-identical resend gets the first task's result.
func TestReusedTaskUUID(t *testing.T) {
	tests := []struct {
		name       string
		path, body string
		wantStatus int
		wantErr    string
	}{
		{"identical", "/vm/destroy", `{"uuid":"a"}`, 200, ""},
		{"identical, trailing slash", "/vm/destroy/", `{"uuid":"a"}`, 200, ""},
		{"other path", "/vm/start", `{"uuid":"a"}`, 400, "taskuuid T1 was already used for /vm/destroy; refusing it for /vm/start"},
		{"other body", "/vm/destroy", `{"uuid":"b"}`, 400, "taskuuid T1 was already used for /vm/destroy with a different body; refusing"},
		{"same JSON, other bytes", "/vm/destroy", `{"uuid": "a"}`, 400, "taskuuid T1 was already used for /vm/destroy with a different body; refusing"},
	}
	for _, finished := range []bool{false, true} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("finished=%v/%s", finished, tc.name), func(t *testing.T) {
				leakCheck(t)
				cb := newCollector(t)
				release := make(chan struct{})
				var runs atomic.Int32
				h := func(context.Context, *Request) (any, error) { runs.Add(1); <-release; return nil, nil }
				s, base := newTestServer(t, testConfig(), func(s *Server) {
					s.RegisterAsyncURI("/vm/destroy", h)
					s.RegisterAsyncURI("/vm/start", h)
				})
				post(t, base+"/vm/destroy", asyncHdr("T1", cb.URL), `{"uuid":"a"}`)
				if finished {
					close(release)
					s.Wait()
					cb.next(t)
				}
				r := post(t, base+tc.path, asyncHdr("T1", cb.URL), tc.body)
				if r.status != tc.wantStatus || (tc.wantErr != "" && failure(t, r) != tc.wantErr) {
					t.Errorf("resend: %d %s, want %d %q", r.status, r.body, tc.wantStatus, tc.wantErr)
				}
				if !finished {
					close(release)
				}
				s.Wait()
				wantCallbacks := 1
				if finished && tc.wantStatus == 200 {
					wantCallbacks = 2
				}
				if n, c := runs.Load(), cb.count(); n != 1 || c != wantCallbacks {
					t.Errorf("%d runs, %d callbacks; want 1 and %d", n, c, wantCallbacks)
				}
			})
		}
	}
}

// Two servers given one TaskTable (the agent's two ports) keep the
// duplicate-task rules across them: a task uuid used on one runs once, a
// byte-identical resend to the other gets the first result, another path or
// body is refused there.
func TestSharedTaskTable(t *testing.T) {
	tests := []struct {
		name       string
		path, body string
		wantStatus int
		wantErr    string
	}{
		{"identical", "/vm/destroy", `{"uuid":"a"}`, 200, ""},
		{"other path", "/ex/vm/destroy", `{"uuid":"a"}`, 400, "taskuuid T1 was already used for /vm/destroy; refusing it for /ex/vm/destroy"},
		{"other body", "/vm/destroy", `{"uuid":"b"}`, 400, "taskuuid T1 was already used for /vm/destroy with a different body; refusing"},
	}
	for _, finished := range []bool{false, true} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("finished=%v/%s", finished, tc.name), func(t *testing.T) {
				leakCheck(t)
				cb := newCollector(t)
				release := make(chan struct{})
				var runs atomic.Int32
				h := func(context.Context, *Request) (any, error) { runs.Add(1); <-release; return nil, nil }
				table := NewTaskTable()
				cfg := testConfig()
				cfg.Tasks = table
				a, baseA := newTestServer(t, cfg, func(s *Server) { s.RegisterAsyncURI("/vm/destroy", h) })
				b, baseB := newTestServer(t, cfg, func(s *Server) {
					s.RegisterAsyncURI("/vm/destroy", h)
					s.RegisterAsyncURI("/ex/vm/destroy", h)
				})
				post(t, baseA+"/vm/destroy", asyncHdr("T1", cb.URL), `{"uuid":"a"}`)
				if finished {
					close(release)
					a.Wait()
					cb.next(t)
				}
				r := post(t, baseB+tc.path, asyncHdr("T1", cb.URL), tc.body)
				if r.status != tc.wantStatus || (tc.wantErr != "" && failure(t, r) != tc.wantErr) {
					t.Errorf("resend to the other server: %d %s, want %d %q", r.status, r.body, tc.wantStatus, tc.wantErr)
				}
				if !finished {
					close(release)
				}
				a.Wait()
				b.Wait()
				wantCallbacks := 1
				if finished && tc.wantStatus == 200 {
					wantCallbacks = 2
				}
				if n, c := runs.Load(), cb.count(); n != 1 || c != wantCallbacks {
					t.Errorf("%d runs, %d callbacks; want 1 and %d", n, c, wantCallbacks)
				}
			})
		}
	}
}

// Finding 6: a finished task's result is posted again at most MaxRedeliveries times.
func TestRedeliveriesBounded(t *testing.T) {
	leakCheck(t)
	var logs syncBuffer
	cb := newCollector(t)
	s, base := newTestServer(t, logTo(testConfig(), &logs), func(s *Server) {
		s.RegisterAsyncURI("/vm/stop", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	for range 10 {
		if r := post(t, base+"/vm/stop", asyncHdr("again", cb.URL), `{}`); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		s.Wait()
	}
	if n := cb.count(); n != 1+DefaultMaxRedeliveries {
		t.Errorf("%d callbacks, want %d", n, 1+DefaultMaxRedeliveries)
	}
	if n := strings.Count(logs.String(), "result already posted again; ignored"); n != 10-1-DefaultMaxRedeliveries {
		t.Errorf("%d ignored resends logged, want %d", n, 10-1-DefaultMaxRedeliveries)
	}
}

// Finding 5: idle keep-alive connections, slow headers and slow bodies are
// cut by the server's timeouts, and their goroutines end.
func TestSlowClientsAreCut(t *testing.T) {
	leakCheck(t)
	cfg := testConfig()
	cfg.ReadHeaderTimeout, cfg.ReadTimeout, cfg.IdleTimeout, cfg.WriteTimeout =
		200*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond, time.Second
	_, addr := serveTestServer(t, cfg, func(s *Server) {
		s.RegisterSyncURI("/host/echo", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	before := measure() // the server is serving
	const n = 200
	kinds := []struct {
		name, send string
		answered   bool // a full request: its answer comes first
	}{
		{"idle keep-alive", "POST /host/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", true},
		{"slow headers", "POST /host/echo HTTP/1.1\r\nHost: a\r\n", false},
		{"slow body", "POST /host/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n{\"a\":", false},
	}
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i], readers[i] = c, bufio.NewReader(c)
		if _, err := c.Write([]byte(kinds[i%len(kinds)].send)); err != nil {
			t.Fatal(err)
		}
	}
	during := measure()
	for i, c := range conns {
		k := kinds[i%len(kinds)]
		_ = c.SetReadDeadline(time.Now().Add(hangGuard))
		if k.answered {
			r, err := http.ReadResponse(readers[i], nil)
			if err != nil || r.StatusCode != 200 {
				t.Fatalf("%s: %v %v", k.name, r, err)
			}
			r.Body.Close()
		}
		// Whatever else comes (a 400 for a cut body), the server closes.
		var err error
		for err == nil {
			_, err = readers[i].ReadByte()
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("%s connection %d still open after %s", k.name, i, hangGuard)
		}
		c.Close()
	}
	t.Logf("%d slow clients: before %v; with them open %v; after the server cut them %v", n, before, during, settled(before))
}

// Finding 5: the write deadline of a sync URI covers its handler, which runs
// before the answer, even when the server-wide write timeout is short.
func TestSyncWriteDeadline(t *testing.T) {
	leakCheck(t)
	cfg := testConfig()
	cfg.WriteTimeout = 50 * time.Millisecond
	_, addr := serveTestServer(t, cfg, func(s *Server) {
		s.RegisterSyncURI("/host/connect", func(context.Context, *Request) (any, error) {
			time.Sleep(4 * cfg.WriteTimeout)
			return map[string]any{"iptablesSucc": true}, nil
		})
	})
	r := post(t, "http://"+addr+"/host/connect", nil, `{}`)
	if r.status != 200 || r.body != `{"success":true,"error":"","iptablesSucc":true}` {
		t.Errorf("slow sync answer: %d %q", r.status, r.body)
	}
}

// Finding 5: at most CallbackConcurrency callback POSTs are in flight; the
// others wait for a slot. The receiver answers only when the test lets it,
// one request at a time, so the count it sees is exact.
func TestCallbackConcurrencyCap(t *testing.T) {
	leakCheck(t)
	var inflight, peak, arrived atomic.Int32
	next := make(chan struct{})
	hs := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		cur := inflight.Add(1)
		for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
		}
		select {
		case <-next:
			inflight.Add(-1) // before the answer: the sender's slot frees after it
			w.WriteHeader(200)
		case <-r.Context().Done():
			inflight.Add(-1)
		}
	}))
	cfg := testConfig()
	cfg.CallbackConcurrency = 4
	const n = 40
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/vm/stop", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	for i := range n {
		if r := post(t, base+"/vm/stop", asyncHdr(fmt.Sprint("c", i), hs), `{}`); r.status != 200 {
			t.Fatalf("task %d: %d", i, r.status)
		}
	}
	for i := range n {
		select {
		case next <- struct{}{}:
		case <-time.After(hangGuard):
			t.Fatalf("callback %d never arrived", i)
		}
	}
	s.Wait()
	if p, a := peak.Load(), arrived.Load(); p != 4 || a != n {
		t.Errorf("%d callbacks in flight at once, %d arrived; want 4 and %d", p, a, n)
	}
}

// Finding 5: callbacks to a receiver that never answers end at the delivery
// deadline, each with a logged give-up, and every goroutine ends.
func TestHangingCallbacks(t *testing.T) {
	leakCheck(t)
	before := measure()
	var during memFigures
	var arrived atomic.Int32
	t.Cleanup(func() { // after the servers closed, before leakCheck
		t.Logf("%d hanging callbacks (%d tries reached the receiver): before %v; while delivering %v; after %v",
			400, arrived.Load(), before, during, settled(before))
	})
	stop := make(chan struct{})
	hs := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop) }) // before the receiver's Close, which waits for its handlers
	var logs syncBuffer
	cfg := logTo(testConfig(), &logs)
	cfg.CallbackDeadline = 300 * time.Millisecond
	const n = 400
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/vm/stop", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	for i := range n {
		if r := post(t, base+"/vm/stop", asyncHdr(fmt.Sprint("h", i), hs), `{}`); r.status != 200 {
			t.Fatalf("task %d: %d", i, r.status)
		}
	}
	during = measure()
	waited := make(chan struct{})
	go func() { s.Wait(); close(waited) }()
	recv(t, waited, "deliveries to give up")
	out := logs.String()
	if got := strings.Count(out, `"msg":"callback given up: delivery deadline of 300ms passed`); got != n {
		t.Errorf("%d deliveries given up at the deadline, want %d", got, n)
	}
	if !strings.Contains(out, `"taskuuid":"h7","path":"/vm/stop"`) {
		t.Errorf("give-up lines lack taskuuid and path:\n%.2000s", out)
	}
}

// settled measures once the goroutine count is back to the baseline's (or
// the hang guard passed: leakCheck then reports).
func settled(baseline memFigures) memFigures {
	deadline := time.Now().Add(hangGuard)
	for {
		m := measure()
		if m.goroutines <= baseline.goroutines || time.Now().After(deadline) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Finding 7: Shutdown does not wait for callback retries: the try in flight
// is the last, and the give-up is logged with the task's uuid and path.
func TestShutdownCutsCallbackRetries(t *testing.T) {
	leakCheck(t)
	cb := newCollector(t)
	cb.respond = func(_ int, w http.ResponseWriter) bool { w.WriteHeader(503); return true }
	var logs syncBuffer
	cfg := logTo(testConfig(), &logs)
	cfg.CallbackRetries, cfg.CallbackBackoff = 1000, time.Hour // without the cut, Shutdown would wait hours
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/vm/start", func(context.Context, *Request) (any, error) { return nil, nil })
	})
	post(t, base+"/vm/start", asyncHdr("retrying", cb.URL), `{}`)
	cb.next(t) // the first try failed with 503
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	if err := recv(t, done, "Shutdown"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"callback given up: kvmagent is stopping","taskuuid":"retrying","path":"/vm/start"`) {
		t.Errorf("no give-up logged:\n%s", out)
	}
	if n := cb.count(); n != 1 {
		t.Errorf("%d tries, want 1", n)
	}
}

// Finding 7: tasks queued but not started when Shutdown begins are not
// started; their failure is posted and logged; running ones finish.
func TestShutdownAbandonsQueuedTasks(t *testing.T) {
	leakCheck(t)
	cb := newCollector(t)
	var logs syncBuffer
	cfg := logTo(testConfig(), &logs)
	cfg.Workers = 1
	started, release := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	s, base := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/vm/start", func(context.Context, *Request) (any, error) {
			if runs.Add(1) == 1 {
				close(started)
			}
			<-release
			return nil, nil
		})
	})
	post(t, base+"/vm/start", asyncHdr("running", cb.URL+"/running"), `{}`)
	recv(t, started, "first task")
	post(t, base+"/vm/start/", asyncHdr("queued", cb.URL+"/queued"), `{}`)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	got := cb.next(t)
	if got.path != "/queued" || string(got.body) != `{"success":false,"error":"kvmagent is stopping; the task was never started"}` {
		t.Errorf("queued task's callback %s %s", got.path, got.body)
	}
	close(release)
	if err := recv(t, done, "Shutdown"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := cb.next(t); got.path != "/running" || string(got.body) != `{"success":true,"error":""}` {
		t.Errorf("running task's callback %s %s", got.path, got.body)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
	if out := logs.String(); !strings.Contains(out, `"msg":"task abandoned: kvmagent is stopping and the task never started; posting a failure","taskuuid":"queued","path":"/vm/start"`) {
		t.Errorf("abandoned task not logged:\n%s", out)
	}
}

// Finding 7: at the shutdown deadline every task still in flight is logged.
func TestShutdownDeadlineLogsAbandoned(t *testing.T) {
	leakCheck(t)
	cb := newCollector(t)
	var logs syncBuffer
	started, release := make(chan struct{}), make(chan struct{})
	s, base := newTestServer(t, logTo(testConfig(), &logs), func(s *Server) {
		s.RegisterAsyncURI("/vm/start", func(context.Context, *Request) (any, error) {
			close(started)
			<-release // ignores its context, as a stuck qemu-img would
			return nil, nil
		})
	})
	post(t, base+"/vm/start", asyncHdr("stuck", cb.URL), `{}`)
	recv(t, started, "task start")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown past its deadline returned nil")
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"task abandoned: still running at the shutdown deadline; no callback will be sent","taskuuid":"stuck","path":"/vm/start"`) {
		t.Errorf("abandoned task not logged:\n%s", out)
	}
	close(release)
	s.Wait()
	if strings.Contains(logs.String(), "callback given up") {
		t.Error("the abandoned task was logged twice")
	}
}

func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}
