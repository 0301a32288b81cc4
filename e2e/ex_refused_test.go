package e2e

import (
	"fmt"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

// refusedTouchesNothing: with a stopped VM's definition in place and the
// VM's lock held by someone else, ex starts refused for their ex block are
// answered at once (no lock waited on) and leave the definition as it was
// (no undefine), and no secret is defined.
func refusedTouchesNothing(t *testing.T, a *agent, uuid string) {
	t.Helper()
	cmd := exampleA(t)
	cmd["vmInstanceUuid"] = uuid
	stopped := fmt.Sprintf(`<domain type='%s'><name>%s</name><uuid>%s</uuid><memory>65536</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
		map[bool]string{true: "test", false: "qemu"}[a.Conn.URI() == "test:///default"], uuid, uuidDashed(uuid))
	secretsBefore := -1
	if err := a.Conn.Do(func(c *libvirt.Connect) error {
		d, err := c.DomainDefineXML(stopped)
		if err != nil {
			return err
		}
		d.Free()
		if n, err := c.NumOfSecrets(); err == nil {
			secretsBefore = n
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type refusal struct {
		name string
		ex   map[string]any
		want string
	}
	cases := []refusal{
		{"typo", map[string]any{"hugepage": map[string]any{}}, "ex.hugepage: unknown field"},
		{"bad value", map[string]any{"disks": map[string]any{"io": "nativ"}}, "ex.disks.io"},
		{"bad type", map[string]any{"hugepages": map[string]any{"size": "2M"}}, "ex.hugepages.size"},
	}
	var version uint32
	_ = a.Conn.Do(func(c *libvirt.Connect) error { var err error; version, err = c.GetLibVersion(); return err })
	if version > 0 && version < 9002000 {
		// libvirt before 9.2 has no itco model: refused naming the field and the bound.
		cases = append(cases, refusal{"itco on this libvirt", map[string]any{"machine": map[string]any{"type": "q35"}, "watchdog": map[string]any{"model": "itco"}}, "ex.watchdog.model: itco needs libvirt 9.2.0 or later"})
	}
	unlock := a.Strata.VmPlugin().LockVM(uuid)
	for _, tc := range cases {
		cmd["ex"] = tc.ex
		rsp := a.ex().call(t, "/ex/vm/start", cmd)
		if rsp["success"] != false || !strings.Contains(fmt.Sprint(rsp["error"]), tc.want) {
			t.Errorf("%s: %v, want success:false naming %q", tc.name, rsp, tc.want)
		}
	}
	unlock()
	if !defined(t, a, uuid) {
		t.Error("a refused start undefined the stopped VM")
	}
	_ = a.Conn.Do(func(c *libvirt.Connect) error {
		if n, err := c.NumOfSecrets(); err == nil && secretsBefore >= 0 && n != secretsBefore {
			t.Errorf("secrets: %d before, %d after", secretsBefore, n)
		}
		if d, err := c.LookupDomainByName(uuid); err == nil {
			_ = d.Undefine()
			d.Free()
		}
		return nil
	})
}

func uuidDashed(u string) string {
	return u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:]
}

// TestExRefusedTouchesNothing is refusedTouchesNothing on the test driver.
func TestExRefusedTouchesNothing(t *testing.T) {
	requireStrata(t)
	a := startAgent(t, agentOptions{URI: "test:///default"})
	refusedTouchesNothing(t, a, "e7000000000000000000000000000009")
}

// TestExLibvirtdRefusedTouchesNothing is refusedTouchesNothing on qemu:///system.
func TestExLibvirtdRefusedTouchesNothing(t *testing.T) {
	requireStrata(t)
	requireLibvirtd(t)
	a, _ := exLibvirtdAgent(t, "qemu", nil)
	const uuid = "e71b0000000000000000000000000009"
	cleanupDomain(t, uuid)
	refusedTouchesNothing(t, a, uuid)
}
