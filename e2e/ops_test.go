package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strataagent/strata/overlay/agentex"
	stockagent "github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
)

// startWithAdmin runs strata-agent with its admin listener on loopback and
// a configuration file for reloads; it returns the agent and the admin URL.
func startWithAdmin(t *testing.T, uri, domainType string, managed []string) (*agent, string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(file, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := stockagent.DefaultConfig()
	cfg.Listen, cfg.LibvirtURI, cfg.ShutdownTimeout, cfg.CallbackRetries = "127.0.0.1:0", uri, hangGuard, 3
	if domainType != "" {
		cfg.DomainType = domainType
	}
	if managed != nil {
		cfg.ManagedDirs = managed
	}
	ex := agentex.Config{ExEnabled: true, StockEnabled: true, Layer: layerDefaults(), File: file,
		Admin: agentex.AdminConfig{Enabled: true, Listen: "127.0.0.1:0"}}
	opts := agentex.Options{Options: stockagent.Options{Logger: cfg.Logger(testWriter{t}), TuneServer: func(sc *kvmagent.ServerConfig) {
		sc.CallbackBackoff = 50 * time.Millisecond
	}}}
	a := startStrata(t, cfg, &ex, opts)
	return a, "http://" + a.Strata.AdminAddr().String(), file
}

func adminGet(t *testing.T, url string) (int, string) {
	t.Helper()
	rsp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	return rsp.StatusCode, string(b)
}

// scrape is /metrics as series → value ("name{a="b"}" → 1).
func scrape(t *testing.T, admin string) map[string]float64 {
	t.Helper()
	_, text := adminGet(t, admin+"/metrics")
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// TestMetricsMoveOnTestDriver (issue 18): after a stock start, an ex
// start, a failed start and a reload, each counter moved.
func TestMetricsMoveOnTestDriver(t *testing.T) {
	requireStrata(t)
	a, admin, file := startWithAdmin(t, "test:///default", "", nil)
	cmd := exampleA(t)
	uuid := cmd["vmInstanceUuid"].(string)
	destroy := func() { mustSucceed(t, "destroy", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid})) }
	steps := []struct {
		name  string
		do    func()
		moved []string
	}{
		{"stock start", func() { mustSucceed(t, "stock start", a.call(t, "/vm/start", cmd)); destroy() }, []string{
			`strata_http_requests_total{outcome="ok",port="stock",route="/vm/start"}`,
			`strata_tasks_total{lane="vm",outcome="done",port="stock"}`,
			`strata_callbacks_total{port="stock",result="delivered"}`,
			`strata_http_request_duration_seconds_count{port="stock",route="/vm/start"}`,
		}},
		{"ex start", func() { mustSucceed(t, "ex start", a.ex().call(t, "/ex/vm/start", cmd)); destroy() }, []string{
			`strata_http_requests_total{outcome="ok",port="ex",route="/ex/vm/start"}`,
			`strata_tasks_total{lane="vm",outcome="done",port="ex"}`,
			`strata_callbacks_total{port="ex",result="delivered"}`,
		}},
		{"failed start", func() {
			bad := map[string]any{}
			for k, v := range cmd {
				bad[k] = v
			}
			bad["memory"] = 0
			if rsp := a.ex().call(t, "/ex/vm/start", bad); rsp["success"] != false {
				t.Fatalf("a start with memory 0 succeeded: %v", rsp)
			}
		}, []string{`strata_tasks_total{lane="vm",outcome="failed",port="ex"}`}},
		{"reload", func() {
			layer := "layers:\n  declarative:\n    - name: e2e-serial\n      after: machine\n      select: {name: \"*\"}\n      ops:\n        - path: devices/disk\n          match: [device=cdrom]\n          all: true\n          set: {serial.#text: E2E}\n"
			if err := os.WriteFile(file, []byte(layer), 0o644); err != nil {
				t.Fatal(err)
			}
			rsp, err := http.Post(admin+"/reload", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rsp.Body.Close()
			var res struct {
				Applied    bool
				Generation uint64
				Added      []string
			}
			_ = json.NewDecoder(rsp.Body).Decode(&res)
			if !res.Applied || res.Generation != 2 || len(res.Added) != 1 {
				t.Fatalf("reload: %d %+v", rsp.StatusCode, res)
			}
		}, []string{`strata_config_reloads_total{outcome="applied"}`, `strata_config_generation`}},
	}
	for _, s := range steps {
		before := scrape(t, admin)
		s.do()
		after := scrape(t, admin)
		for _, series := range s.moved {
			if after[series] <= before[series] {
				t.Errorf("%s: %s stayed at %v", s.name, series, after[series])
			}
		}
	}
}

// TestReadyzFollowsLibvirtd (issue 18): /readyz is not ready while the
// test's own libvirtd proxy is cut, and ready again once it is back; the
// reconnect is counted.
func TestReadyzFollowsLibvirtd(t *testing.T) {
	requireStrata(t)
	domainType := requireLibvirtd(t)
	p := newLibvirtdProxy(t)
	a, admin, _ := startWithAdmin(t, p.URI, domainType, []string{t.TempDir()})
	ping := func() map[string]any {
		return a.call(t, "/host/ping", map[string]any{"hostUuid": "8e2d4c6a1f3b4a5c9d7e0f1a2b3c4d5e"})
	}
	until := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(hangGuard); !ok(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after %s", what, hangGuard)
			}
		}
	}
	ready := func() bool { code, _ := adminGet(t, admin+"/readyz"); return code == http.StatusOK }
	until("ready at start", func() bool { ping(); return ready() })
	p.down()
	until("not ready with libvirtd cut", func() bool { ping(); return !ready() })
	if _, body := adminGet(t, admin+"/readyz?verbose"); !strings.Contains(body, "[-]libvirt failed: "+p.URI) || !strings.Contains(body, "[+]config ok") {
		t.Errorf("/readyz?verbose while cut:\n%s", body)
	}
	if m := scrape(t, admin); m[`strata_libvirt_connection_state{state="down"}`] != 1 {
		t.Errorf("connection state not down: %v", m[`strata_libvirt_connection_state{state="down"}`])
	}
	if err := p.up(); err != nil {
		t.Fatal(err)
	}
	until("ready again", func() bool { ping(); return ready() })
	if m := scrape(t, admin); m["strata_libvirt_reconnects_total"] < 1 {
		t.Errorf("strata_libvirt_reconnects_total = %v after a reconnect", m["strata_libvirt_reconnects_total"])
	}
}
