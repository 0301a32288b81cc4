package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/overlay/agentex"
	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/layer"
)

// requireStrata skips the ex tests in the kvmagent run of the suite.
func requireStrata(t testing.TB) {
	t.Helper()
	if composition != compositionStrata {
		t.Skip("ex tests run in the strata-agent run of the suite")
	}
}

// ex is a on its ex port.
func (a *agent) ex() *agent {
	c := *a
	c.URL = a.ExURL
	return &c
}

// fixtureHost is a host with CPUs 0-1, the given free 2 MiB pages, and
// OVMF or not.
type fixtureHost struct {
	free   uint64
	noOVMF bool
}

func (h fixtureHost) OnlineCPUs() ([]int, error)           { return []int{0, 1}, nil }
func (h fixtureHost) FreeHugepages(uint64) (uint64, error) { return h.free, nil }
func (h fixtureHost) HasVhostNet() bool                    { return false }
func (h fixtureHost) OVMF(bool) (string, string, error) {
	if h.noOVMF {
		return "", "", errors.New("no OVMF firmware: no descriptor under /usr/share/qemu/firmware and no /usr/share/OVMF")
	}
	return "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", nil
}

func defined(t testing.TB, a *agent, name string) bool {
	t.Helper()
	found := false
	_ = a.Conn.Do(func(c *libvirt.Connect) error {
		if d, err := c.LookupDomainByName(name); err == nil {
			found = true
			d.Free()
		}
		return nil
	})
	return found
}

// TestExBothPortsOneVm: a VM started on :7071 is seen, rebooted, stopped
// and destroyed through :7070, and its XML with an empty ex is the stock one.
func TestExBothPortsOneVm(t *testing.T) {
	requireStrata(t)
	a := startAgent(t, agentOptions{URI: "test:///default"})
	cmd := exampleA(t)
	const uuid = "e7000000000000000000000000000001"
	cmd["vmInstanceUuid"] = uuid
	mustSucceed(t, "stock start", a.call(t, "/vm/start", cmd))
	stockXML := domainXML(t, a, uuid)
	mustSucceed(t, "destroy", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))

	cmd["ex"] = map[string]any{}
	mustSucceed(t, "ex start", a.ex().call(t, "/ex/vm/start", cmd))
	// The live XML differs only in the running domain's id.
	live := regexp.MustCompile(`<domain type='(\w+)' id='\d+'`)
	if x := domainXML(t, a, uuid); live.ReplaceAllString(x, "<domain type='$1'") != live.ReplaceAllString(stockXML, "<domain type='$1'") {
		t.Errorf("empty ex: live XML differs from the stock start's:\n%s\n---\n%s", x, stockXML)
	}
	if rsp := a.ex().call(t, "/ex/vm/start", cmd); rsp["success"] != false || !strings.Contains(rsp["error"].(string), "already running") {
		t.Errorf("second ex start = %v, want already running", rsp)
	}
	states := a.call(t, "/vm/checkstate", map[string]any{"vmUuids": []string{uuid}})["states"].(map[string]any)
	if states[uuid] != "Running" {
		t.Errorf("checkstate on :7070 = %v", states[uuid])
	}
	mustSucceed(t, "stop on :7070", a.call(t, "/vm/stop", map[string]any{"uuid": uuid, "type": "cold"}))
	mustSucceed(t, "ex start again", a.ex().call(t, "/ex/vm/start", cmd))
	mustSucceed(t, "destroy on :7071", a.ex().call(t, "/ex/vm/destroy", map[string]any{"uuid": uuid}))
	if defined(t, a, uuid) {
		t.Error("destroyed vm still defined")
	}
	if code, _ := a.ex().postSync(t, "/ex/host/echo", nil); code != 200 {
		t.Errorf("/ex/host/echo: %d", code)
	}
}

// TestExCapacityMatchesStock: /ex/host/capacity answers what /host/capacity
// does (the host's facts come from a short-lived cache), and counts a VM
// started since.
func TestExCapacityMatchesStock(t *testing.T) {
	requireStrata(t)
	a := startAgent(t, agentOptions{URI: "test:///default"})
	stock := a.call(t, "/host/capacity", map[string]any{})
	ex := a.ex().call(t, "/ex/host/capacity", map[string]any{})
	mustSucceed(t, "stock capacity", stock)
	mustSucceed(t, "ex capacity", ex)
	for _, k := range []string{"cpuNum", "cpuSpeed", "cpuSockets", "totalMemory", "usedCpu", "usedMemory"} {
		if stock[k] != ex[k] {
			t.Errorf("%s: stock %v, ex %v", k, stock[k], ex[k])
		}
	}
	cmd := exampleA(t)
	const uuid = "e7000000000000000000000000000009"
	cmd["vmInstanceUuid"] = uuid
	mustSucceed(t, "start", a.call(t, "/vm/start", cmd))
	t.Cleanup(func() { a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}) })
	after := a.ex().call(t, "/ex/host/capacity", map[string]any{})
	if after["usedCpu"].(float64) != ex["usedCpu"].(float64)+cmd["cpuNum"].(float64) {
		t.Errorf("usedCpu after a %v-vCPU start: %v, was %v", cmd["cpuNum"], after["usedCpu"], ex["usedCpu"])
	}
}

// TestExRebootBootMenu: the stock reboot leaves a useBootMenu VM undefined;
// strata-agent's :7070 reboots it, bootDev becoming per-device orders.
func TestExRebootBootMenu(t *testing.T) {
	requireStrata(t)
	a := startAgent(t, agentOptions{URI: "test:///default"})
	cmd := exampleA(t)
	const uuid = "e7000000000000000000000000000002"
	cmd["vmInstanceUuid"], cmd["useBootMenu"] = uuid, true
	mustSucceed(t, "start", a.call(t, "/vm/start", cmd))
	defer a.call(t, "/vm/destroy", map[string]any{"uuid": uuid})
	mustSucceed(t, "reboot", a.call(t, "/vm/reboot", map[string]any{"uuid": uuid, "timeout": 60, "bootDev": []string{"cdrom", "hd"}}))
	states := a.call(t, "/vm/checkstate", map[string]any{"vmUuids": []string{uuid}})["states"].(map[string]any)
	if states[uuid] != "Running" {
		t.Fatalf("after reboot checkstate = %v, want Running", states[uuid])
	}
	x := domainXML(t, a, uuid)
	if strings.Contains(x, "<boot dev=") || !strings.Contains(x, "<boot order='1'/>") {
		t.Errorf("want per-device boot orders and no os/boot:\n%s", x)
	}
}

// TestExBadInput: each bad ex, host shortfall or conflict fails in the
// envelope with an error naming it, and leaves no domain defined.
func TestExBadInput(t *testing.T) {
	requireStrata(t)
	dir := t.TempDir()
	conflict, err := declarative.LoadFile(writeFile(t, dir, "c.yaml", `layers:
  declarative:
    - name: threads-io
      after: qemu-args
      select: {name: "*"}
      ops:
        - path: devices/disk/driver
          all: true
          set: {io: threads}
`))
	if err != nil {
		t.Fatal(err)
	}
	base := agentex.Config{ExEnabled: true, StockEnabled: true, Layer: layerDefaults()}
	base.Layer.QemuArgsAllow = []string{"-no-hpet"}
	withConflict := base
	withConflict.Declarative = conflict
	for _, tt := range []struct {
		name string
		ex   map[string]any
		host fixtureHost
		cfg  agentex.Config
		want string
	}{
		{"invalid ex value", map[string]any{"hugepages": map[string]any{"size": 3}}, fixtureHost{free: 4096}, base, "ex.hugepages.size"},
		{"unknown ex key", map[string]any{"hugepage": map[string]any{}}, fixtureHost{free: 4096}, base, "ex.hugepage"},
		{"pinning to a missing cpu", map[string]any{"pinning": map[string]any{"vcpus": []any{map[string]any{"vcpu": 0, "cpuset": "7"}}}}, fixtureHost{free: 4096}, base, "ex.pinning.vcpus[0]"},
		{"too few hugepages", map[string]any{"hugepages": map[string]any{"size": 2048}}, fixtureHost{free: 1}, base, "ex.hugepages"},
		{"missing OVMF", map[string]any{"machine": map[string]any{"type": "q35", "uefi": true}}, fixtureHost{free: 4096, noOVMF: true}, base, "OVMF"},
		{"qemu arg off the allow-list", map[string]any{"qemuArgs": []any{"-S"}}, fixtureHost{free: 4096}, base, "ex.qemuArgs[0]"},
		{"two layers in conflict", map[string]any{"disks": map[string]any{"io": "native"}}, fixtureHost{free: 4096}, withConflict, "both wrote"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			a := startAgent(t, agentOptions{URI: "test:///default", Ex: &cfg, LayerHost: tt.host})
			cmd := exampleA(t)
			const uuid = "e7000000000000000000000000000003"
			cmd["vmInstanceUuid"], cmd["ex"] = uuid, tt.ex
			rsp := a.ex().call(t, "/ex/vm/start", cmd)
			if rsp["success"] != false || !strings.Contains(rsp["error"].(string), tt.want) {
				t.Errorf("got %v, want success:false naming %q", rsp, tt.want)
			}
			if defined(t, a, uuid) {
				t.Error("a domain was left defined")
				a.call(t, "/vm/destroy", map[string]any{"uuid": uuid})
			}
		})
	}
}

func writeFile(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const reloadYAML = `layers:
  declarative:
    - name: web-desc
      after: tags
      select: {name: "web-*"}
      ops:
        - path: features/pmu
          create: {state: "%s"}
`

// TestExReloadOnSIGHUP: a declarative layer changed in the config file and
// reloaded by SIGHUP is seen in the next start; an invalid file keeps it.
func TestExReloadOnSIGHUP(t *testing.T) {
	requireStrata(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "agent.yaml", strings.Replace(reloadYAML, "%s", "off", 1))
	entries, err := declarative.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg := agentex.Config{ExEnabled: true, StockEnabled: true, Layer: layerDefaults(), File: file, Declarative: entries}
	a := startAgent(t, agentOptions{URI: "test:///default", Ex: &cfg})
	ctx, cancel := contextWithCancel()
	defer cancel()
	a.Strata.HandleSIGHUP(ctx) // the test installs the handler, so the signal is its own
	start := func(uuid string) string {
		cmd := exampleA(t)
		cmd["vmInstanceUuid"], cmd["ex"] = uuid, map[string]any{}
		mustSucceed(t, "ex start", a.ex().call(t, "/ex/vm/start", cmd))
		x := domainXML(t, a, uuid)
		mustSucceed(t, "destroy", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
		return x
	}
	if x := start("e7000000000000000000000000000004"); !strings.Contains(x, "<pmu state='off'/>") {
		t.Fatalf("first layer not applied:\n%s", x)
	}
	gen := a.Strata.Config().Generation
	hup := func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dir, "agent.yaml", strings.Replace(reloadYAML, "%s", "on", 1))
	hup()
	for deadline := time.Now().Add(hangGuard); a.Strata.Config().Generation == gen; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload")
		}
	}
	if x := start("e7000000000000000000000000000005"); !strings.Contains(x, "<pmu state='on'/>") {
		t.Errorf("reloaded layer not applied:\n%s", x)
	}
	// An invalid file is refused; the layers stay.
	gen = a.Strata.Config().Generation
	writeFile(t, dir, "agent.yaml", "layers:\n  declarative:\n    - name: bad\n      after: nowhere\n      ops: []\n")
	if err := a.Strata.Reload(); err == nil || !strings.Contains(err.Error(), "agent.yaml") {
		t.Errorf("invalid reload: %v, want an error naming the file", err)
	}
	if a.Strata.Config().Generation != gen {
		t.Error("an invalid configuration replaced the layers")
	}
	_ = layer.PolicyFail
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
