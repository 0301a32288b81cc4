package kvmagent

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangGuard only keeps a broken test from hanging; no assertion depends on it.
const hangGuard = 10 * time.Second

// testConfig is fast: tiny backoff, few retries, quiet logs.
func testConfig() ServerConfig {
	return ServerConfig{
		CallbackTimeout: 5 * time.Second,
		CallbackRetries: 5,
		CallbackBackoff: time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
	}
}

// newTestServer starts srv's engine on a loopback httptest server. register
// is called before serving.
func newTestServer(t *testing.T, cfg ServerConfig, register func(s *Server)) (*Server, string) {
	t.Helper()
	s := NewServer(cfg)
	if register != nil {
		register(s)
	}
	hs := httptest.NewServer(s.Engine())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		_ = s.Shutdown(ctx)
		hs.Close()
	})
	return s, hs.URL
}

type cbReq struct {
	path   string
	header http.Header
	body   []byte
	closed bool // the client asked for Connection: close
}

// collector is the MN's callback endpoint: it records every try and answers
// with respond(try) (200 when nil).
type collector struct {
	URL     string
	ch      chan cbReq
	mu      sync.Mutex
	tries   int
	respond func(try int, w http.ResponseWriter) bool // true: handled
}

func newCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{ch: make(chan cbReq, 100)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.tries++
		try, respond := c.tries, c.respond
		c.mu.Unlock()
		select { // never block the callback: a test may ignore retries
		case c.ch <- cbReq{path: r.URL.Path, header: r.Header.Clone(), body: body, closed: r.Close}:
		default:
		}
		if respond != nil && respond(try, w) {
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hs.Close)
	c.URL = hs.URL
	return c
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tries
}

func (c *collector) next(t *testing.T) cbReq {
	t.Helper()
	select {
	case r := <-c.ch:
		return r
	case <-time.After(hangGuard):
		t.Fatal("no callback arrived")
		return cbReq{}
	}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func post(t *testing.T, url string, hdr map[string]string, body string) resp {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: hangGuard}
	r, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{status: r.StatusCode, header: r.Header, body: string(b)}
}

func asyncHdr(taskUUID, callbackURL string) map[string]string {
	h := map[string]string{"taskuuid": taskUUID}
	if callbackURL != "" {
		h["callbackurl"] = callbackURL
	}
	return h
}

// recv waits for a value on ch, failing the test on the hang guard.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
