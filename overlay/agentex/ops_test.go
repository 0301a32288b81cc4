package agentex

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"

	"github.com/strataagent/strata/overlay"
	"github.com/strataagent/strata/overlay/admin"
	"github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
)

const opsLayerA = `layers:
  declarative:
    - name: cd-serial
      after: machine
      select: {name: "web-*"}
      ops:
        - path: devices/disk
          match: [device=cdrom]
          all: true
          set: {serial.#text: CD}
`

// syncBuffer is a log sink the agent and the test share.
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

// startOps runs strata-agent on loopback ports from a config file, as the
// command would, and returns it with its log.
func startOps(t *testing.T, file string, extra ...string) (*Agent, *syncBuffer) {
	t.Helper()
	flags := pflag.NewFlagSet("t", pflag.ContinueOnError)
	if err := agent.AddFlags(flags, Settings()); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config", file, "--listen", "127.0.0.1:0", "--ex-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--libvirt-uri", "test:///default", "--managed-dirs", t.TempDir(), "--nvram-dir", t.TempDir()}, extra...)
	if err := flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, ex, err := LoadConfig(flags, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	a, err := New(cfg, ex, Options{Options: agent.Options{Logger: cfg.Logger(logs)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return a, logs
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	rsp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	return rsp.StatusCode, string(b)
}

// waitReady polls /readyz until it answers 200 (libvirt connects in the background).
func waitReady(t *testing.T, base string) string {
	t.Helper()
	for i := 0; ; i++ {
		code, body := get(t, base+"/readyz?verbose")
		if code == http.StatusOK {
			return body
		}
		if i == 10000 {
			t.Fatalf("never ready: %s", body)
		}
	}
}

func TestAdminListener(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(file, []byte("log:\n  level: info\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, logs := startOps(t, file)
	base := "http://" + a.AdminAddr().String()
	body := waitReady(t, base)
	for _, want := range []string{"[+]libvirt ok", "[+]config ok", "[+]layers ok", "readyz check passed"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz?verbose lacks %q:\n%s", want, body)
		}
	}
	if code, body := get(t, base+"/livez"); code != 200 || body != "ok" {
		t.Errorf("/livez: %d %q", code, body)
	}

	// A sync call and an async one with a callback, on each port.
	mn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer mn.Close()
	for _, url := range []string{"http://" + a.stockL.Addr().String() + "/host/echo", "http://" + a.exL.Addr().String() + "/ex/host/echo"} {
		rsp, err := http.Post(url, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.exL.Addr().String()+"/ex/host/ping", strings.NewReader(`{"hostUuid":"x"}`))
	req.Header.Set("taskuuid", "0123456789abcdef0123456789abcdef")
	req.Header.Set("callbackurl", mn.URL)
	if rsp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		rsp.Body.Close()
	}
	a.ExServer().Wait()

	// A reload that adds a layer, then one that is refused.
	if err := os.WriteFile(file, []byte(opsLayerA), 0o644); err != nil {
		t.Fatal(err)
	}
	res := postReload(t, base)
	if !res.Applied || res.Generation != 2 || len(res.Added) != 1 || res.Added[0] != "cd-serial" {
		t.Errorf("reload: %+v", res)
	}
	if err := os.WriteFile(file, []byte("layers:\n  declarative:\n    - name: x\n      after: no-such-layer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := postReload(t, base); res.Applied || res.Generation != 2 || res.Error == "" {
		t.Errorf("bad reload: %+v", res)
	}

	_, text := get(t, base+"/metrics")
	for _, want := range []string{
		`strata_http_requests_total{outcome="ok",port="stock",route="/host/echo"} 1`,
		`strata_http_requests_total{outcome="ok",port="ex",route="/ex/host/echo"} 1`,
		`strata_http_request_duration_seconds_count{port="ex",route="/ex/host/ping"} 1`,
		`strata_tasks_total{lane="host",outcome="done",port="ex"} 1`,
		`strata_tasks_in_flight{lane="host",port="ex"} 0`,
		`strata_callbacks_total{port="ex",result="delivered"} 1`,
		`strata_config_reloads_total{outcome="applied"} 1`,
		`strata_config_reloads_total{outcome="refused"} 1`,
		`strata_config_generation 2`,
		`strata_libvirt_connection_state{state="up"} 1`,
		`strata_libvirt_connects_total 1`,
		`go_goroutines`, `process_resident_memory_bytes`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, body := get(t, base+"/config"); code != 200 || !strings.Contains(body, "admin:") || !strings.Contains(body, "file: "+file) {
		t.Errorf("/config: %d\n%s", code, body)
	}
	if code, _ := get(t, base+"/debug/pprof/"); code != 200 {
		t.Errorf("/debug/pprof/: %d", code)
	}
	// pprof and the admin API are never on the management node's ports.
	for _, u := range []string{"http://" + a.stockL.Addr().String(), "http://" + a.exL.Addr().String()} {
		for _, p := range []string{"/debug/pprof/", "/metrics", "/readyz"} {
			if code, _ := get(t, u+p); code != http.StatusNotFound {
				t.Errorf("%s%s: %d, want 404", u, p, code)
			}
		}
	}
	if !strings.Contains(logs.String(), `msg="strata-agent starting" config=`+file) {
		t.Errorf("no start line:\n%s", logs.String())
	}
}

func postReload(t *testing.T, base string) admin.ReloadResult {
	t.Helper()
	rsp, err := http.Post(base+"/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	var res admin.ReloadResult
	if err := json.NewDecoder(rsp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAdminOff(t *testing.T) {
	file := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := startOps(t, file, "--admin-enabled=false")
	if a.AdminAddr() != nil {
		t.Fatalf("admin listening on %s with admin.enabled=false", a.AdminAddr())
	}
}

// TestConfigDefaultIsComplete: `config default` names every setting with
// its help, and reading it back gives exactly the defaults.
func TestConfigDefaultIsComplete(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"config", "default"}, nil, &out, &errOut, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, s := range append(agent.Settings(), Settings()...) {
		if !strings.Contains(out.String(), "# "+s.Help+"\n") || !strings.Contains(out.String(), s.Env()) {
			t.Errorf("config default lacks %s", s.Key)
		}
	}
	file := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := pflag.NewFlagSet("t", pflag.ContinueOnError)
	_ = agent.AddFlags(flags, Settings())
	_ = flags.Parse([]string{"--config", file})
	cfg, ex, err := LoadConfig(flags, nil)
	if err != nil {
		t.Fatalf("config default does not load: %v\n%s", err, out.String())
	}
	if def := agent.DefaultConfig(); !equalJSON(cfg, def) {
		t.Errorf("stock settings read back %+v, want %+v", cfg, def)
	}
	if !ex.Admin.Enabled || ex.Admin.Listen != "127.0.0.1:7072" || ex.ExListen != "0.0.0.0:7071" {
		t.Errorf("overlay settings read back %+v", ex)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestConfigDump(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main([]string{"config", "dump", "--config", "/dev/null", "--libvirt-uri", "qemu:///system"}, nil, &out, &errOut,
		[]string{"STRATA_LOG_LEVEL=debug"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"uri: qemu:///system", "level: debug", "file: /dev/null", "listen: 127.0.0.1:7072"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, out.String())
		}
	}
}

func TestAuthPerPort(t *testing.T) {
	dir := t.TempDir()
	token := "strata-test-token-0123456789"
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(file, []byte("auth:\n  ex:\n    token_file: "+tokFile+"\n  admin:\n    token_file: "+tokFile+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, logs := startOps(t, file)
	post := func(url, auth string) int {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
		return rsp.StatusCode
	}
	ex, stock, adm := "http://"+a.exL.Addr().String(), "http://"+a.stockL.Addr().String(), "http://"+a.AdminAddr().String()
	for _, tc := range []struct {
		url, auth string
		want      int
	}{
		{ex + "/ex/host/echo", "", 401}, {ex + "/ex/host/echo", "wrong-wrong-wrong-wrong", 401}, {ex + "/ex/host/echo", token, 200},
		{stock + "/host/echo", "", 200}, // the stock port stays open: not configured
		{adm + "/reload", "", 401},
	} {
		if got := post(tc.url, tc.auth); got != tc.want {
			t.Errorf("POST %s (token %q): %d, want %d", tc.url, tc.auth, got, tc.want)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the token appears in the log")
	}
	var dump bytes.Buffer
	if code := Main([]string{"config", "dump", "--config", file}, nil, &dump, &dump, nil); code != 0 || strings.Contains(dump.String(), token) {
		t.Errorf("config dump (exit %d) shows the token or failed:\n%s", code, dump.String())
	}
}

func TestAdminOffLoopbackNeedsAuth(t *testing.T) {
	flags := pflag.NewFlagSet("t", pflag.ContinueOnError)
	_ = agent.AddFlags(flags, Settings())
	_ = flags.Parse([]string{"--config", "/dev/null", "--admin-listen", "0.0.0.0:0", "--nvram-dir", t.TempDir()})
	cfg, ex, err := LoadConfig(flags, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, ex, Options{}); err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("New: %v", err)
	}
}

// TestSecretsNeverLogged: at debug, with a token on the ex port and a
// start command carrying a console password, no line of the agent's log
// holds either secret.
func TestSecretsNeverLogged(t *testing.T) {
	dir := t.TempDir()
	token := "never-log-this-token-4f1c9b"
	password := "never-log-this-password-7e2d"
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(file, []byte("log:\n  level: debug\nauth:\n  ex:\n    token_file: "+tokFile+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, logs := startOps(t, file)
	waitReady(t, "http://"+a.AdminAddr().String())
	raw, err := os.ReadFile("../../upstream/vmplugin/testdata/mn_example_a.json")
	if err != nil {
		t.Fatal(err)
	}
	var cmd map[string]any
	if err := json.Unmarshal(raw, &cmd); err != nil {
		t.Fatal(err)
	}
	cmd["consolePassword"] = password
	body, _ := json.Marshal(cmd)
	mn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer mn.Close()
	for _, u := range []string{"http://" + a.exL.Addr().String() + "/ex/vm/start", "http://" + a.stockL.Addr().String() + "/vm/start"} {
		req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set("taskuuid", "5ec7e75ec7e75ec7e75ec7e75ec7e75e")
		req.Header.Set("callbackurl", mn.URL)
		req.Header.Set("Authorization", "Bearer "+token)
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
	}
	a.ExServer().Wait()
	a.StockServer().Wait()
	text := logs.String()
	if !strings.Contains(text, "level=DEBUG") || !strings.Contains(text, "request body") {
		t.Fatalf("no debug lines to check:\n%s", text)
	}
	for i, line := range strings.Split(text, "\n") {
		for _, secret := range []string{token, password} {
			if strings.Contains(line, secret) {
				t.Errorf("log line %d holds a secret: %s", i+1, line)
			}
		}
	}
}

// Every line of a start task, on either port, carries its taskuuid, path
// and vm (the request lines, logged before the body is decoded, have no
// vm). The volumes do not exist here, so the starts fail in the build: the
// vm is named by then.
func TestTaskLinesTied(t *testing.T) {
	file := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(file, []byte("log:\n  level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, logs := startOps(t, file)
	waitReady(t, "http://"+a.AdminAddr().String())
	raw, err := os.ReadFile("../../upstream/vmplugin/testdata/mn_example_a.json")
	if err != nil {
		t.Fatal(err)
	}
	mn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer mn.Close()
	tasks := []struct{ url, task, vm string }{
		{"http://" + a.exL.Addr().String() + "/ex/vm/start", "7a5c7a5c7a5c7a5c7a5c7a5c7a5c0001", "11111111111111111111111111110001"},
		{"http://" + a.stockL.Addr().String() + "/vm/start", "7a5c7a5c7a5c7a5c7a5c7a5c7a5c0002", "11111111111111111111111111110002"},
	}
	for _, tk := range tasks {
		var cmd map[string]any
		if err := json.Unmarshal(raw, &cmd); err != nil {
			t.Fatal(err)
		}
		cmd["vmInstanceUuid"] = tk.vm
		body, _ := json.Marshal(cmd)
		req, _ := http.NewRequest(http.MethodPost, tk.url, bytes.NewReader(body))
		req.Header.Set("taskuuid", tk.task)
		req.Header.Set("callbackurl", mn.URL)
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
	}
	a.ExServer().Wait()
	a.StockServer().Wait()
	for _, tk := range tasks {
		var mine []string
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "taskuuid="+tk.task) {
				mine = append(mine, line)
			}
		}
		msgs := map[string]bool{}
		for _, line := range mine {
			for _, want := range []string{"path=/", "vm=" + tk.vm} {
				if (strings.Contains(line, "msg=request ") || strings.Contains(line, `msg="request body"`)) && want != "path=/" {
					continue
				}
				if !strings.Contains(line, want) {
					t.Errorf("task %s: line without %s: %s", tk.task, want, line)
				}
			}
			if _, rest, ok := strings.Cut(line, "msg="); ok {
				msgs[strings.SplitN(strings.Trim(rest, `"`), `"`, 2)[0]] = true
			}
		}
		for _, want := range []string{"task failed", "callback delivered"} {
			if !msgs[want] {
				t.Errorf("task %s: no %q line among %d lines:\n%s", tk.task, want, len(mine), strings.Join(mine, "\n"))
			}
		}
	}
}

// :7071 serves every :7070 URI under /ex/ with the same mode and lane, and
// nothing else but the overlay's own.
func TestExMirrorsStockRoutes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(file, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := startOps(t, file)
	ex := map[string]kvmagent.Route{}
	for _, r := range a.ExServer().Routes() {
		ex[r.Path] = r
	}
	stock := a.StockServer().Routes()
	if len(stock) < 10 {
		t.Fatalf("only %d stock routes: %v", len(stock), stock)
	}
	for _, r := range stock {
		m, ok := ex[overlay.ExPrefix+r.Path]
		if !ok || m.Async != r.Async || m.Lane != r.Lane {
			t.Errorf("stock %+v: ex has %+v (present %v)", r, m, ok)
		}
		delete(ex, overlay.ExPrefix+r.Path)
	}
	if len(ex) != 0 {
		t.Errorf("ex routes with no stock route: %v", ex)
	}
}
