package vmplugin

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

// hangGuard only stops a broken test from hanging; nothing is timed against it.
const hangGuard = 2 * time.Minute

// syncBuffer is a log sink the agent's goroutines write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// callback is one POST the agent made to the management node.
type callback struct {
	Header http.Header
	Body   []byte
}

// testAgent is the stock HTTP plumbing with this package's plugin on
// test:///default, everything it logs (debug included) captured in Log,
// and a management node that records callbacks.
type testAgent struct {
	Plugin *VmPlugin
	Server *kvmagent.Server
	Log    *syncBuffer

	url   string
	mnURL string
	mu    sync.Mutex
	got   map[string]callback
}

func startTestAgent(t *testing.T, cfg PluginConfig) *testAgent {
	t.Helper()
	a := &testAgent{Log: &syncBuffer{}, got: map[string]callback{}}
	log := slog.New(slog.NewTextHandler(a.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	conn := virtconn.New("test:///default", log)
	a.Server = kvmagent.NewServer(kvmagent.ServerConfig{CallbackRetries: 1, CallbackBackoff: 10 * time.Millisecond, Logger: log})
	cfg.Timing = Timing{PollInterval: 10 * time.Millisecond, GracefulStopWait: time.Second, DestroyWait: 5 * time.Second, UndefineWait: 5 * time.Second, LookupRetries: 1, LookupRetryDelay: time.Millisecond}
	a.Plugin = New(cfg, conn, log)
	if err := a.Plugin.Start(a.Server); err != nil {
		t.Fatal(err)
	}
	agentSrv := httptest.NewServer(a.Server.Engine())
	mn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got[r.Header.Get(kvmagent.HeaderTaskUUID)] = callback{r.Header.Clone(), body}
		a.mu.Unlock()
	}))
	a.url, a.mnURL = agentSrv.URL, mn.URL
	t.Cleanup(func() {
		a.Server.Wait()
		agentSrv.Close()
		mn.Close()
		conn.Close()
	})
	return a
}

// post sends body to path as the management node does and returns the
// callback, after every task has ended (so the log is complete).
func (a *testAgent) post(t *testing.T, path string, body []byte) callback {
	t.Helper()
	id := make([]byte, 16)
	rand.Read(id)
	taskUUID := hex.EncodeToString(id)
	req, _ := http.NewRequest(http.MethodPost, a.url+path, bytes.NewReader(body))
	req.Header.Set(kvmagent.HeaderTaskUUID, taskUUID)
	req.Header.Set(kvmagent.HeaderCallbackURL, a.mnURL)
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rsp.Body)
	rsp.Body.Close()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		cb, ok := a.got[taskUUID]
		a.mu.Unlock()
		if ok {
			a.Server.Wait()
			return cb
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: no callback", path)
	return callback{}
}

// call posts cmd as JSON and decodes the callback's envelope.
func (a *testAgent) call(t *testing.T, path string, cmd any) (success bool, errText string, cb callback) {
	t.Helper()
	body, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	cb = a.post(t, path, body)
	var env struct {
		Success bool   `json:"success"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal(cb.Body, &env); err != nil {
		t.Fatalf("callback body %s: %v", cb.Body, err)
	}
	return env.Success, env.Error, cb
}

// testConn opens the in-process test driver for setting up and checking
// domains behind the agent's back.
func testConn(t *testing.T) *libvirt.Connect {
	t.Helper()
	c, err := libvirt.NewConnect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// randomVMUUID is a fresh vmInstanceUuid: test:///default is shared by
// every test in the process.
func randomVMUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// destroyVM removes a domain a test started, if it is there.
func destroyVM(t *testing.T, a *testAgent, uuid string) {
	t.Helper()
	if ok, e, _ := a.call(t, KVMDestroyVMPath, VmCmd{UUID: uuid}); !ok {
		t.Errorf("destroy %s: %s", uuid, e)
	}
}
