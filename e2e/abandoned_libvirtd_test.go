package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"libvirt.org/go/libvirt"
)

// slowEmulator writes an emulator for addons.qemuPath that, for a guest
// (libvirt's capability probe passes no -name guest=), sleeps longer than
// the call timeout before it becomes qemu, as slow storage or hugepage
// preallocation makes a real one; then exits 1 when fail is set.
func slowEmulator(t testing.TB, fail bool) string {
	t.Helper()
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skipf("no qemu-system-x86_64: %v", err)
	}
	tail := "exec " + qemu + ` "$@"`
	if fail {
		tail = `case "$*" in *guest=*) exit 1;; esac` + "\nexec " + qemu + ` "$@"`
	}
	p := filepath.Join(t.TempDir(), "slow-qemu")
	script := "#!/bin/sh\ncase \"$*\" in *guest=*) sleep 3;; esac\n" + tail + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAbandonedStartOnLibvirtd (issue 16 item 3): on qemu:///system, a
// start whose define+create outlives libvirt.call_timeout (1 s here; the
// emulator takes 3 s) answers what the domain really is once the abandoned
// call returned: success when it runs, a failure with no domain left when
// qemu fails. A command timeout longer than the create keeps it from being
// abandoned at all. On each port.
func TestAbandonedStartOnLibvirtd(t *testing.T) {
	domainType := requireLibvirtd(t)
	channelDir := t.TempDir()
	a := startAgent(t, agentOptions{URI: systemURI, DomainType: domainType, ConfinedDirs: []string{channelDir}, CallTimeout: time.Second})
	type port struct {
		name, path string
		a          *agent
	}
	ports := []port{{"stock", "/vm/start", a}}
	if a.Strata != nil {
		ports = append(ports, port{"ex", "/ex/vm/start", a.ex()})
	}
	tests := []struct {
		name        string
		fail        bool
		timeout     int64
		wantSuccess bool
	}{
		{"abandoned, vm runs", false, 0, true},
		{"command timeout covers the create", false, 30, true},
		{"abandoned, qemu fails", true, 0, false},
	}
	for pi, p := range ports {
		for ti, tc := range tests {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				uuid := fmt.Sprintf("e2eabd%02d%02d004f60a8c4d2e1b7f9a013", pi, ti)
				cmd := exampleA(t)
				spiceForTheVendor(cmd, composition == compositionStock)
				cmd["vmInstanceUuid"] = uuid
				cmd["vmName"] = "strata-e2e-abandoned"
				cmd["memory"] = 256 << 20
				cmd["cpuNum"], cmd["cpuOnSocket"] = 1, 1
				cmd["dataVolumes"] = []any{}
				cmd["nics"] = []any{}
				cmd["timeout"] = tc.timeout
				addons := cmd["addons"].(map[string]any)
				addons["channel"].(map[string]any)["socketPath"] = channelDir + "/" + uuid
				addons["qemuPath"] = slowEmulator(t, tc.fail)
				t.Cleanup(func() {
					_ = a.Conn.Do(func(c *libvirt.Connect) error {
						if d, err := c.LookupDomainByName(uuid); err == nil {
							d.Destroy()
							d.Undefine()
							d.Free()
						}
						return nil
					})
				})
				rsp := p.a.call(t, p.path, cmd)
				running := domainExists(t, a, uuid) && libvirtState(t, a.Conn, uuid) == libvirt.DOMAIN_RUNNING
				t.Logf("answer %v; domain running %v", rsp, running)
				if got := rsp["success"] == true; got != tc.wantSuccess || got != running {
					t.Errorf("answered success=%v (%v), domain running=%v; want both %v", got, rsp["error"], running, tc.wantSuccess)
				}
				if !tc.wantSuccess && domainExists(t, a, uuid) {
					t.Error("a failed start left its domain defined")
				}
			})
		}
	}
}
