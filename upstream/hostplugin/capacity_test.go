package hostplugin

import (
	"context"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

// The libvirt test driver starts with one running domain, "test": 2 vcpus,
// currentMemory 2 GiB.
const testDomainMemory = 2097152 * 1024

func TestCapacity(t *testing.T) {
	p, _ := newTestPlugin(t, Config{})
	out, err := p.Capacity(context.Background(), request(CapacityPath, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	m := asJSON(t, out)
	want := map[string]any{
		"success": true, "error": "",
		"cpuNum": 2.0, "cpuSpeed": 2100.0, "cpuSockets": 2.0, "totalMemory": 4194304.0 * 1024,
		"usedCpu": 2.0, "usedMemory": float64(testDomainMemory),
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v (reply %v)", k, m[k], v, m)
		}
	}
}

const extraDomain = `<domain type='test'>
  <name>strata-hostplugin-capacity</name>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>524288</currentMemory>
  <vcpu>3</vcpu>
  <os><type>hvm</type></os>
</domain>`

func TestCapacitySumsActiveDomains(t *testing.T) {
	p, _ := newTestPlugin(t, Config{})
	var dom *libvirt.Domain
	if err := p.conn.Do(func(c *libvirt.Connect) error {
		var err error
		dom, err = c.DomainCreateXML(extraDomain, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dom.Destroy(); _ = dom.Free() })
	// A paused domain still holds its vcpus and memory.
	if err := dom.Suspend(); err != nil {
		t.Fatal(err)
	}
	cpus, mem, err := p.usedByRunningVMs()
	if err != nil {
		t.Fatal(err)
	}
	if cpus != 2+3 || mem != testDomainMemory+524288*1024 {
		t.Fatalf("used = %d cpus, %d bytes", cpus, mem)
	}
}

func TestCapacityErrors(t *testing.T) {
	p := New(Config{System: fixtureSystem(t, cpuinfoVMX)}, nil, quietLogger())
	if _, err := p.Capacity(context.Background(), request(CapacityPath, `{}`)); err == nil || !strings.Contains(err.Error(), "no libvirt connection") {
		t.Fatalf("no connection: err = %v", err)
	}
	p, _ = newTestPlugin(t, Config{System: fixtureSystem(t, "")})
	if _, err := p.Capacity(context.Background(), request(CapacityPath, `{}`)); err == nil || !strings.Contains(err.Error(), "cpu speed") {
		t.Fatalf("empty cpuinfo: err = %v", err)
	}
}
