package e2e

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// systemSocket is the shared libvirtd's read-write socket.
const systemSocket = "/var/run/libvirt/libvirt-sock"

// libvirtdProxy stands between an agent and the shared libvirtd: a unix
// socket of the test's own, forwarded to systemSocket. down makes
// "libvirtd" go away for the agent alone (every proxied connection cut,
// the socket gone, so new connections are refused); up brings it back.
// The shared daemon is never touched.
type libvirtdProxy struct {
	URI  string
	sock string

	mu    sync.Mutex
	l     net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup // accept loops and pipes, so cleanup leaves none behind
}

// newLibvirtdProxy skips, saying why, when the system libvirtd's socket
// does not answer.
func newLibvirtdProxy(t testing.TB) *libvirtdProxy {
	t.Helper()
	c, err := net.Dial("unix", systemSocket)
	if err != nil {
		t.Skipf("the system libvirtd does not answer on %s (scripts/host-setup.sh --libvirtd starts it as root): %v", systemSocket, err)
	}
	c.Close()
	// A short directory: a unix socket path is limited to 108 bytes.
	dir, err := os.MkdirTemp("", "strata-proxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &libvirtdProxy{sock: filepath.Join(dir, "libvirt-sock"), conns: map[net.Conn]struct{}{}}
	p.URI = "qemu+unix:///system?socket=" + p.sock
	if err := p.up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.down()
		p.wg.Wait()
	})
	return p
}

// up listens on the proxy socket again and forwards each connection.
func (p *libvirtdProxy) up() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		return nil
	}
	l, err := net.Listen("unix", p.sock)
	if err != nil {
		return err
	}
	p.l = l
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", systemSocket)
			if err != nil {
				in.Close()
				continue
			}
			if !p.track(in, out) {
				continue // went down meanwhile
			}
			p.wg.Add(2)
			go p.pipe(in, out)
			go p.pipe(out, in)
		}
	}()
	return nil
}

// track registers a forwarded pair, or closes it if the proxy is down.
func (p *libvirtdProxy) track(in, out net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l == nil {
		in.Close()
		out.Close()
		return false
	}
	p.conns[in], p.conns[out] = struct{}{}, struct{}{}
	return true
}

func (p *libvirtdProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// down closes the listener (which removes the socket: connecting fails as
// with a stopped libvirtd) and cuts every forwarded connection.
func (p *libvirtdProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// minimalVM is example (a) cut to what any libvirtd runs: 256 MiB, one
// vCPU, the root disk alone, no NIC (no bridge needed).
func minimalVM(t testing.TB, uuid, channelDir string) map[string]any {
	t.Helper()
	cmd := exampleA(t)
	cmd["vmInstanceUuid"] = uuid
	cmd["vmName"] = "strata-e2e-" + uuid[:8]
	cmd["memory"] = 256 << 20
	cmd["cpuNum"], cmd["cpuOnSocket"] = 1, 1
	cmd["dataVolumes"] = []any{}
	cmd["nics"] = []any{}
	cmd["addons"].(map[string]any)["channel"].(map[string]any)["socketPath"] = filepath.Join(channelDir, uuid)
	return cmd
}

// TestReconnectsWhenLibvirtdComesBack takes libvirtd away from a running
// agent (through a proxy of the test's own): calls fail with a readable
// error instead of ending the agent (as the 2018 agent did), the host calls
// report the outage, and once libvirtd is back the agent, never restarted,
// serves VM calls again, on a VM that ran through the outage.
func TestReconnectsWhenLibvirtdComesBack(t *testing.T) {
	domainType := requireLibvirtd(t)
	p := newLibvirtdProxy(t)
	channelDir := t.TempDir()
	a := startAgent(t, agentOptions{URI: p.URI, DomainType: domainType, ConfinedDirs: []string{channelDir}})
	const uuid = "2ec0dd0000000000000000000000000" + "1"
	cleanupDomain(t, uuid)
	const hostUUID = "8e2d4c6a1f3b4a5c9d7e0f1a2b3c4d5e"

	connect := func() map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"hostUuid": hostUUID, "sendCommandUrl": "http://127.0.0.1:8080/zstack/asyncrest/sendcommand", "iptablesRules": []string{}})
		code, out := a.postSync(t, "/host/connect", body)
		var rsp map[string]any
		if err := json.Unmarshal(out, &rsp); err != nil || code != 200 {
			t.Fatalf("connect: %d %s (%v)", code, out, err)
		}
		return rsp
	}
	ping := func() map[string]any { return a.call(t, "/host/ping", map[string]any{"hostUuid": hostUUID}) }
	checkstate := func() map[string]any {
		return a.call(t, "/vm/checkstate", map[string]any{"vmUuids": []string{uuid}, "hostUuid": hostUUID})
	}

	mustSucceed(t, "connect before", connect())
	cmd := minimalVM(t, uuid, channelDir)
	spiceForTheVendor(cmd, composition == compositionStock)
	mustSucceed(t, "start before", a.call(t, "/vm/start", cmd))
	mustSucceed(t, "ping before", ping())

	p.down()
	// The outage reaches the host calls: ping answers the connection's state,
	// which the cut sets at once or the next libvirt call sets.
	readable := func(what string, rsp map[string]any) {
		t.Helper()
		msg, _ := rsp["error"].(string)
		if rsp["success"] != false || !strings.Contains(msg, "libvirt") || strings.Contains(msg, "virError(") {
			t.Errorf("%s with libvirtd away = %v, want success:false with libvirt's reason in plain words", what, rsp)
		}
	}
	// A call racing the cut may still carry libvirt's own words ("client
	// socket is closed"); once the agent has seen the outage, every call
	// names it.
	deadline := time.Now().Add(hangGuard)
	down := ping()
	for down["success"] != false && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		down = ping()
	}
	readable("ping", down)
	readable("vmsync", a.call(t, "/vm/vmsync", map[string]any{}))
	readable("checkstate", checkstate())
	readable("connect", connect())
	if msg, _ := down["error"].(string); !strings.Contains(msg, "libvirt is unavailable at "+p.URI) {
		t.Errorf("ping error %q, want the outage naming %s", msg, p.URI)
	}
	if down["hostUuid"] != hostUUID {
		t.Errorf("ping during the outage: hostUuid = %v, want %s", down["hostUuid"], hostUUID)
	}
	if code, _ := a.postSync(t, "/host/echo", nil); code != 200 {
		t.Fatalf("agent stopped serving while libvirtd was away: echo %d", code)
	}

	if err := p.up(); err != nil {
		t.Fatal(err)
	}
	// Ping starts a reconnect in the background; the management node pings
	// until one succeeds, then reconnects.
	for deadline := time.Now().Add(hangGuard); ; time.Sleep(200 * time.Millisecond) {
		if ping()["success"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ping still fails %s after libvirtd came back", hangGuard)
		}
	}
	mustSucceed(t, "connect after", connect())
	mustSucceed(t, "vmsync after", a.call(t, "/vm/vmsync", map[string]any{}))
	states := checkstate()
	mustSucceed(t, "checkstate after", states)
	if got := states["states"].(map[string]any)[uuid]; got != "Running" {
		t.Errorf("the VM started before the outage: checkstate = %v, want Running", got)
	}
	mustSucceed(t, "destroy after", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
	if domainExists(t, a, uuid) {
		t.Error("domain still defined after destroy")
	}
}
