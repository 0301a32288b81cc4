package e2e

import (
	"github.com/strataagent/strata/linux2"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/agentex"
	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// cleanupDomain destroys and undefines domain uuid (with its NVRAM) when
// the test ends, whatever happened, on a connection of its own: the
// agent's may be down or closed by then.
func cleanupDomain(t testing.TB, uuid string) {
	t.Helper()
	t.Cleanup(func() {
		c, err := libvirt.NewConnect(systemURI)
		if err != nil {
			t.Errorf("cleanup of %s: %v", uuid, err)
			return
		}
		defer c.Close()
		d, err := c.LookupDomainByUUIDString(uuid)
		if err != nil {
			return // never defined, or already gone
		}
		defer d.Free()
		if active, _ := d.IsActive(); active {
			if err := d.Destroy(); err != nil {
				t.Errorf("cleanup: destroy %s: %v", uuid, err)
			}
		}
		if err := d.UndefineFlags(libvirt.DOMAIN_UNDEFINE_NVRAM | libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA); err != nil {
			t.Errorf("cleanup: undefine %s: %v", uuid, err)
		}
	})
}

// kvmWorks says whether VMs can use KVM here: libvirt offers it and
// /dev/kvm opens.
func kvmWorks(t testing.TB) bool {
	t.Helper()
	if requireLibvirtd(t) != "kvm" {
		return false
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// liveDomain reads domain name back from libvirt (virsh dumpxml) as a Domain.
func liveDomain(t testing.TB, a *agent, name string) (*libvirtxml.Domain, string) {
	t.Helper()
	x := domainXML(t, a, name)
	d := &libvirtxml.Domain{}
	if err := d.Unmarshal(x); err != nil {
		t.Fatalf("parse live XML of %s: %v", name, err)
	}
	return d, x
}

// exLibvirtdAgent is strata-agent on the real libvirtd, with the NVRAM and
// channel directories in the test's temporary directories.
func exLibvirtdAgent(t testing.TB, domainType string, ex *agentex.Config) (*agent, string) {
	t.Helper()
	channelDir := t.TempDir()
	cfg := agentex.Config{ExEnabled: true, StockEnabled: true, Layer: layerDefaults()}
	if ex != nil {
		cfg = *ex
	}
	cfg.Layer.NVRAMDir = t.TempDir()
	a := startAgent(t, agentOptions{URI: systemURI, DomainType: domainType, Timing: vmplugin.Timing{GracefulStopWait: 3 * time.Second}, ConfinedDirs: []string{channelDir}, Ex: &cfg})
	return a, channelDir
}

// TestExLibvirtdFullStart starts a VM with every Go layer the host supports
// through /ex/vm/start on a real libvirtd: q35 with UEFI (secure boot
// off), vCPU and emulator pinning, NIC multiqueue on a test bridge,
// virtio-rng and an i6300esb watchdog; then drives it through :7070.
func TestExLibvirtdFullStart(t *testing.T) {
	requireStrata(t)
	requireLibvirtd(t)
	const bridge = "br-strata-ex"
	testBridge(t, bridge)
	// TCG: OVMF stays paused under nested KVM on this machine.
	a, channelDir := exLibvirtdAgent(t, "qemu", nil)
	const uuid = "e71b0000000000000000000000000001"
	cleanupDomain(t, uuid)

	cmd := minimalVM(t, uuid, channelDir)
	cmd["cpuNum"], cmd["cpuOnSocket"] = 2, 2
	cmd["nics"] = []any{map[string]any{"mac": "fa:3e:7a:9c:41:e1", "bridgeName": bridge, "uuid": "2c3d4e5f6a7b4c9d8e0f1a2b3c4d5ee1",
		"nicInternalName": "vnic903.0", "deviceId": 0, "useVirtio": true}}
	cmd["ex"] = map[string]any{
		"machine":  map[string]any{"type": "q35", "uefi": true, "secureBoot": false},
		"pinning":  map[string]any{"vcpus": []any{map[string]any{"vcpu": 0, "cpuset": "0"}, map[string]any{"vcpu": 1, "cpuset": "1"}}, "emulator": "0-1"},
		"nics":     map[string]any{"driver": "qemu", "queues": 2},
		"rng":      map[string]any{},
		"watchdog": map[string]any{"model": "i6300esb"},
	}
	mustSucceed(t, "ex start", a.ex().call(t, "/ex/vm/start", cmd))
	if st := libvirtState(t, a.Conn, uuid); st != libvirt.DOMAIN_RUNNING {
		t.Fatalf("libvirt state after ex start = %d, want running", st)
	}
	live, x := liveDomain(t, a, uuid)
	checkFullStart(t, live, bridge)
	if t.Failed() {
		t.Logf("live XML:\n%s", x)
	}

	check := func(want string) {
		t.Helper()
		rsp := a.call(t, "/vm/checkstate", map[string]any{"vmUuids": []string{uuid}, "hostUuid": "h"})
		mustSucceed(t, "checkstate on :7070", rsp)
		if got := rsp["states"].(map[string]any)[uuid]; got != want {
			t.Errorf("checkstate on :7070 = %v, want %s", got, want)
		}
	}
	check("Running")

	// useBootMenu: the stock reboot leaves this VM undefined; :7070's runs it again.
	mustSucceed(t, "reboot on :7070", a.call(t, "/vm/reboot", map[string]any{"uuid": uuid, "timeout": 120, "bootDev": []string{"hd"}}))
	if st := libvirtState(t, a.Conn, uuid); st != libvirt.DOMAIN_RUNNING {
		t.Fatalf("libvirt state after reboot = %d, want running", st)
	}
	check("Running")
	if after, _ := liveDomain(t, a, uuid); after.OS.Loader == nil || !strings.Contains(after.OS.Type.Machine, "q35") {
		t.Error("the reboot lost the ex start's machine or firmware")
	}

	mustSucceed(t, "stop on :7070", a.call(t, "/vm/stop", map[string]any{"uuid": uuid, "type": "grace", "timeout": 120}))
	if domainExists(t, a, uuid) {
		t.Error("domain still defined after stop on :7070")
	}
	check("Shutdown")

	mustSucceed(t, "ex start again", a.ex().call(t, "/ex/vm/start", cmd))
	mustSucceed(t, "destroy on :7070", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
	if domainExists(t, a, uuid) {
		t.Error("domain still defined after destroy on :7070")
	}
}

// checkFullStart checks that each layer of TestExLibvirtdFullStart is in
// the domain libvirt runs.
func checkFullStart(t testing.TB, d *libvirtxml.Domain, bridge string) {
	t.Helper()
	if d.OS == nil || d.OS.Type == nil || !strings.Contains(d.OS.Type.Machine, "q35") {
		t.Errorf("machine: %+v, want q35", d.OS)
	}
	if d.OS == nil || d.OS.Loader == nil || d.OS.Loader.Type != "pflash" || d.OS.Loader.Secure == "yes" || d.OS.NVRam == nil {
		t.Errorf("firmware: want an OVMF pflash loader, secure boot off, and an NVRAM")
	}
	pins := map[uint]string{}
	if d.CPUTune != nil {
		for _, p := range d.CPUTune.VCPUPin {
			pins[p.VCPU] = p.CPUSet
		}
	}
	if pins[0] != "0" || pins[1] != "1" || d.CPUTune.EmulatorPin == nil || d.CPUTune.EmulatorPin.CPUSet != "0-1" {
		t.Errorf("pinning: vcpupin %v, emulatorpin %+v; want 0->0, 1->1, emulator 0-1", pins, d.CPUTune.EmulatorPin)
	}
	if len(d.Devices.Interfaces) != 1 {
		t.Fatalf("%d interfaces, want 1", len(d.Devices.Interfaces))
	}
	ifc := d.Devices.Interfaces[0]
	if ifc.Source == nil || ifc.Source.Bridge == nil || ifc.Source.Bridge.Bridge != bridge {
		t.Errorf("NIC not on %s", bridge)
	}
	if ifc.Driver == nil || ifc.Driver.Name != "qemu" || ifc.Driver.Queues != 2 {
		t.Errorf("NIC driver %+v, want qemu with 2 queues", ifc.Driver)
	}
	if len(d.Devices.RNGs) != 1 || d.Devices.RNGs[0].Model != "virtio" {
		t.Errorf("rng: %+v, want one virtio-rng", d.Devices.RNGs)
	}
	if len(d.Devices.Watchdogs) != 1 || d.Devices.Watchdogs[0].Model != "i6300esb" {
		t.Errorf("watchdog: %+v, want i6300esb", d.Devices.Watchdogs)
	}
}

// TestExLibvirtdHugepages: a 256 MiB VM backed by 2 MiB pages runs and is
// destroyed.
func TestExLibvirtdHugepages(t *testing.T) {
	requireStrata(t)
	requireLibvirtd(t)
	// scripts/host-setup.sh reserves and mounts them where the kernel can.
	if hp, err := linux2.NewHost().Hugepages(); err != nil || !hp.Mounted(2048) {
		t.Skipf("no hugetlbfs mount for 2 MiB pages on this host (%v): the hugepage start cannot run here", err)
	} else if pool, ok := hp.Pool(2048); !ok || pool.Available() < 128 {
		t.Skipf("fewer than 128 free 2 MiB pages on this host (%+v): the hugepage start cannot run here", pool)
	}
	domainType := "qemu"
	if kvmWorks(t) {
		domainType = "kvm"
	}
	a, channelDir := exLibvirtdAgent(t, domainType, nil)
	const uuid = "e71b0000000000000000000000000002"
	cleanupDomain(t, uuid)
	cmd := minimalVM(t, uuid, channelDir)
	cmd["ex"] = map[string]any{"hugepages": map[string]any{"size": 2048}}
	mustSucceed(t, "ex start with hugepages", a.ex().call(t, "/ex/vm/start", cmd))
	if st := libvirtState(t, a.Conn, uuid); st != libvirt.DOMAIN_RUNNING {
		t.Fatalf("libvirt state = %d, want running", st)
	}
	live, x := liveDomain(t, a, uuid)
	if mb := live.MemoryBacking; mb == nil || mb.MemoryHugePages == nil || len(mb.MemoryHugePages.Hugepages) != 1 ||
		mb.MemoryHugePages.Hugepages[0].Size != 2048 {
		t.Errorf("live domain not backed by 2 MiB pages:\n%s", x)
	}
	mustSucceed(t, "destroy on :7070", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
	if domainExists(t, a, uuid) {
		t.Error("domain still defined after destroy")
	}
}

const discardYAML = `layers:
  declarative:
    - name: e2e-discard
      after: tags
      select: {name: "strata-e2e-*"}
      ops:
        - path: devices/disk/driver
          match: device=disk
          set: {discard: %s}
`

// TestExLibvirtdReload: a declarative layer changed in the configuration
// file and reloaded (Reload, what SIGHUP runs) is in the domain libvirt
// runs at the next start.
func TestExLibvirtdReload(t *testing.T) {
	requireStrata(t)
	domainType := requireLibvirtd(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "agent.yaml", strings.Replace(discardYAML, "%s", "unmap", 1))
	entries, err := declarative.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	a, channelDir := exLibvirtdAgent(t, domainType, &agentex.Config{ExEnabled: true, StockEnabled: true, Layer: layerDefaults(), File: file, Declarative: entries})

	discard := func(uuid string) string {
		t.Helper()
		cleanupDomain(t, uuid)
		cmd := minimalVM(t, uuid, channelDir)
		cmd["ex"] = map[string]any{}
		mustSucceed(t, "ex start", a.ex().call(t, "/ex/vm/start", cmd))
		live, _ := liveDomain(t, a, uuid)
		mustSucceed(t, "destroy", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
		for _, disk := range live.Devices.Disks {
			if disk.Device == "disk" && disk.Driver != nil {
				return disk.Driver.Discard
			}
		}
		t.Fatalf("vm %s: no disk with a driver", uuid)
		return ""
	}
	if got := discard("e71b0000000000000000000000000003"); got != "unmap" {
		t.Fatalf("first layer: root disk discard = %q, want unmap", got)
	}
	gen := a.Strata.Config().Generation
	writeFile(t, dir, "agent.yaml", strings.Replace(discardYAML, "%s", "ignore", 1))
	if err := a.Strata.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if a.Strata.Config().Generation == gen {
		t.Error("reload kept the old generation")
	}
	if got := discard("e71b0000000000000000000000000004"); got != "ignore" {
		t.Errorf("after reload: root disk discard = %q, want ignore", got)
	}
}

// TestExLibvirtdFailedUEFIStartLeavesNothing: a UEFI VM whose start fails
// after libvirt made its NVRAM (its NIC's bridge is missing) is not left
// defined: libvirt refuses a plain undefine of a domain with an NVRAM file.
func TestExLibvirtdFailedUEFIStartLeavesNothing(t *testing.T) {
	requireStrata(t)
	requireLibvirtd(t)
	const missing = "br-strata-nx"
	if _, err := net.InterfaceByName(missing); err == nil {
		t.Fatalf("bridge %s exists; this test needs it missing", missing)
	}
	a, channelDir := exLibvirtdAgent(t, "qemu", nil)
	const uuid = "e71b0000000000000000000000000005"
	cleanupDomain(t, uuid)
	cmd := minimalVM(t, uuid, channelDir)
	cmd["nics"] = []any{map[string]any{"mac": "fa:3e:7a:9c:41:e5", "bridgeName": missing, "uuid": "2c3d4e5f6a7b4c9d8e0f1a2b3c4d5ee5",
		"nicInternalName": "vnic905.0", "deviceId": 0, "useVirtio": true}}
	cmd["ex"] = map[string]any{"machine": map[string]any{"type": "q35", "uefi": true}}
	rsp := a.ex().call(t, "/ex/vm/start", cmd)
	if rsp["success"] != false {
		t.Fatalf("start on a missing bridge = %v, want a failure", rsp)
	}
	if msg, _ := rsp["error"].(string); !strings.Contains(msg, missing) {
		t.Errorf("error %q does not name the missing bridge %s", msg, missing)
	}
	if defined(t, a, uuid) {
		t.Errorf("a failed UEFI start left vm %s defined (error: %v)", uuid, rsp["error"])
	}
}
