package hostplugin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strataagent/strata/upstream/kvmagent"
)

// One round trip through the real server, as the management node calls the
// two sync URIs.
func TestHTTPConnectAndEcho(t *testing.T) {
	needVersions(t)
	p, _ := newTestPlugin(t, Config{})
	srv := kvmagent.NewServer(kvmagent.ServerConfig{Addr: "127.0.0.1:0", Logger: quietLogger()})
	if err := p.Start(srv); err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, r := range srv.Routes() {
		routes[r.Path] = r.Async
	}
	wantRoutes := map[string]bool{ConnectPath: false, EchoPath: false, PingPath: true, CapacityPath: true, FactPath: true}
	for path, async := range wantRoutes {
		if got, ok := routes[path]; !ok || got != async {
			t.Errorf("route %s: registered %v, async %v; want async %v", path, ok, got, async)
		}
	}
	ts := httptest.NewServer(srv.Engine())
	defer ts.Close()

	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, body := post(ConnectPath, `{"hostUuid":"5d2ac5b4d5d84c7e9d3b3e6f3f0c1a2b","sendCommandUrl":"http://127.0.0.1:8080/zstack/asyncrest/sendcommand","iptablesRules":[]}`)
	if code != http.StatusOK {
		t.Fatalf("connect: %d %s", code, body)
	}
	var rsp ConnectResponse
	if err := json.Unmarshal([]byte(body), &rsp); err != nil {
		t.Fatalf("connect body %q: %v", body, err)
	}
	if !rsp.Success || !rsp.IptablesSucc || rsp.LibvirtVersion == "" || rsp.QemuVersion == "" {
		t.Fatalf("connect reply %s", body)
	}
	if p.HostUUID() != "5d2ac5b4d5d84c7e9d3b3e6f3f0c1a2b" {
		t.Fatalf("host uuid %q", p.HostUUID())
	}

	code, body = post(EchoPath, "")
	if code != http.StatusOK || body != "" {
		t.Fatalf("echo: %d %q; want 200 and an empty body", code, body)
	}
	code, body = post(EchoPath+"/", "")
	if code != http.StatusOK || body != "" {
		t.Fatalf("echo with a trailing slash: %d %q", code, body)
	}
}
