package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/strataagent/strata/overlay/agentex"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	stockagent "github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// hangGuard only stops a broken test from hanging; nothing is timed against it.
const hangGuard = 3 * time.Minute

// callback is one POST the agent made to the management node.
type callback struct {
	Header http.Header
	Body   []byte
}

// mnServer plays the management node's /zstack/asyncrest/callback.
type mnServer struct {
	URL string

	mu    sync.Mutex
	got   map[string][]callback
	event chan struct{}
}

func newMNServer(t testing.TB) *mnServer {
	t.Helper()
	mn := &mnServer{got: map[string][]callback{}, event: make(chan struct{}, 1)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("taskuuid")
		if id == "" {
			http.Error(w, "taskuuid missing", http.StatusBadRequest)
			return
		}
		mn.mu.Lock()
		mn.got[id] = append(mn.got[id], callback{Header: r.Header.Clone(), Body: body})
		mn.mu.Unlock()
		select {
		case mn.event <- struct{}{}:
		default:
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	mn.URL = "http://" + l.Addr().String() + "/zstack/asyncrest/callback"
	return mn
}

// wait returns the first n callbacks of task id, failing the test if they
// never come.
func (mn *mnServer) wait(t testing.TB, id string, n int) []callback {
	t.Helper()
	deadline := time.After(hangGuard)
	for {
		mn.mu.Lock()
		cbs := append([]callback(nil), mn.got[id]...)
		mn.mu.Unlock()
		if len(cbs) >= n {
			return cbs
		}
		select {
		case <-mn.event:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("task %s: %d callback(s) after %s, want %d", id, len(cbs), hangGuard, n)
		}
	}
}

// Compositions the suite runs against: the stock kvmagent, and
// strata-agent's stock port (:7070) with its ex port (:7071) beside it.
const (
	compositionStock  = "kvmagent"
	compositionStrata = "strata-agent"
)

// composition is the one startAgent builds; TestMain runs the suite once
// per composition (STRATA_E2E_COMPOSITION=kvmagent|strata-agent picks one).
var composition = compositionStock

func TestMain(m *testing.M) {
	runs := []string{compositionStock, compositionStrata}
	if c := os.Getenv("STRATA_E2E_COMPOSITION"); c != "" {
		runs = []string{c}
	}
	code := 0
	for _, c := range runs {
		composition = c
		fmt.Fprintf(os.Stderr, "=== e2e suite against %s\n", c)
		if rc := m.Run(); rc != 0 {
			code = rc
		}
	}
	os.Exit(code)
}

// agent is a running agent on loopback: URL is the stock port; ExURL the
// ex port (strata-agent only).
type agent struct {
	URL    string
	ExURL  string
	Server *kvmagent.Server
	Conn   *virtconn.Conn
	MN     *mnServer
	// Strata is the overlay agent when the composition is strata-agent.
	Strata *agentex.Agent
}

// fixedReboot: strata-agent's :7070 serves the overlay's reboot, which
// succeeds where the stock one fails (useBootMenu).
func (a *agent) fixedReboot() bool { return a.Strata != nil }

type agentOptions struct {
	URI        string
	DomainType string
	Timing     vmplugin.Timing
	// ConfinedDirs are where the agent may create channel directories (vm.managed_dirs).
	ConfinedDirs []string
	// Ex is strata-agent's own configuration (zero: its defaults).
	Ex *agentex.Config
	// LayerHost is strata-agent's layer host (nil: this machine, linux2).
	LayerHost layer.Host
	// CallTimeout is libvirt.call_timeout (zero: the default).
	CallTimeout time.Duration
}

func startAgent(t testing.TB, opt agentOptions) *agent {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, ok := t.(*testing.B); ok {
		// A benchmark's log is always printed, and logging would be measured.
		log = slog.New(slog.DiscardHandler)
	}
	cfg := stockagent.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.LibvirtURI = opt.URI
	if opt.DomainType != "" {
		cfg.DomainType = opt.DomainType
	}
	cfg.Arch = vmplugin.ArchX86_64
	cfg.CallbackRetries = 3
	if opt.Timing.GracefulStopWait > 0 {
		cfg.GracefulStopWait = opt.Timing.GracefulStopWait
	}
	cfg.ShutdownTimeout = hangGuard
	if opt.CallTimeout > 0 {
		cfg.LibvirtCallTimeout = opt.CallTimeout
	}
	if opt.ConfinedDirs != nil {
		cfg.ManagedDirs = opt.ConfinedDirs
	}
	opts := stockagent.Options{Logger: log, TuneServer: func(sc *kvmagent.ServerConfig) {
		sc.CallbackBackoff = 50 * time.Millisecond
	}}
	if composition == compositionStrata {
		return startStrata(t, cfg, opt.Ex, agentex.Options{Options: opts, LayerHost: opt.LayerHost})
	}
	a, err := stockagent.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, a.Serve)
	return &agent{URL: "http://" + addr.String(), Server: a.Server(), Conn: a.Conn(), MN: newMNServer(t)}
}

// startStrata runs strata-agent with both ports on loopback.
func startStrata(t testing.TB, cfg stockagent.Config, ex *agentex.Config, opts agentex.Options) *agent {
	t.Helper()
	exCfg := agentex.Config{ExEnabled: true, StockEnabled: true, Layer: layerDefaults()}
	if ex != nil {
		exCfg = *ex
	}
	exCfg.ExListen = "127.0.0.1:0"
	a, err := agentex.New(cfg, exCfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	stock, exAddr, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, a.Serve)
	out := &agent{Server: a.StockServer(), Conn: a.Conn(), MN: newMNServer(t), Strata: a}
	if stock != nil {
		out.URL = "http://" + stock.String()
	}
	if exAddr != nil {
		out.ExURL = "http://" + exAddr.String()
	}
	return out
}

// serveUntilCleanup serves until the test ends, then shuts down and
// reports a failed shutdown.
func serveUntilCleanup(t testing.TB, serve func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("agent shutdown: %v", err)
		}
	})
}

func layerDefaults() layer.Config {
	return layer.Config{ConflictPolicy: layer.PolicyFail, NVRAMDir: layers.DefaultNVRAMDir}
}

// testWriter sends the agent's log to t.Log, so it shows only on failure.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func newTaskUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// postAsync sends an async call exactly as the management node writes it
// and returns the immediate status code.
func (a *agent) postAsync(t testing.TB, path, taskUUID string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("taskuuid", taskUUID)
	req.Header.Set("callbackurl", a.MN.URL)
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	if path != "/host/ping" {
		req.Header.Set("X-Resource-UUID", "8e2d4c6a1f3b4a5c9d7e0f1a2b3c4d5e")
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rsp.Body)
	rsp.Body.Close()
	return rsp.StatusCode
}

// call posts an async command and returns its callback's decoded JSON.
func (a *agent) call(t testing.TB, path string, cmd any) map[string]any {
	t.Helper()
	body, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	id := newTaskUUID()
	if code := a.postAsync(t, path, id, body); code != http.StatusOK {
		t.Fatalf("%s: immediate status %d, want 200", path, code)
	}
	return decodeCallback(t, a.MN.wait(t, id, 1)[0])
}

func decodeCallback(t testing.TB, cb callback) map[string]any {
	t.Helper()
	if ct := cb.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("callback Content-Type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(cb.Body, &m); err != nil {
		t.Fatalf("callback body is not a JSON object: %v: %s", err, cb.Body)
	}
	return m
}

func mustSucceed(t testing.TB, what string, rsp map[string]any) {
	t.Helper()
	if rsp["success"] != true {
		t.Fatalf("%s: success=%v error=%v", what, rsp["success"], rsp["error"])
	}
}

// readCommand loads a StartVmCmd JSON body from the builder's corpus as a
// generic map, so tests can point paths at test images and send the rest
// exactly as the management node wrote it.
func readCommand(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../upstream/vmplugin/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
