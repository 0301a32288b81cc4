package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func libvirtdAnswers() bool {
	return exec.Command("virsh", "-c", systemURI, "version").Run() == nil
}

func waitLibvirtd(t *testing.T, up bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for libvirtdAnswers() != up {
		if time.Now().After(deadline) {
			t.Fatalf("libvirtd up=%v not reached", up)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReconnectsWhenLibvirtdComesBack stops the system libvirtd under a
// running agent: calls fail with a clear error instead of ending the agent
// (as the 2018 agent did), and succeed again once libvirtd is back.
func TestReconnectsWhenLibvirtdComesBack(t *testing.T) {
	requireLibvirtd(t)
	if os.Geteuid() != 0 {
		t.Skip("restarting libvirtd needs root")
	}
	t.Cleanup(func() {
		if !libvirtdAnswers() {
			exec.Command("libvirtd", "-d").Run()
			waitLibvirtd(t, true)
		}
	})
	a := startAgent(t, agentOptions{URI: systemURI})
	mustSucceed(t, "vmsync before", a.call(t, "/vm/vmsync", map[string]any{}))

	if out, err := exec.Command("pkill", "-x", "libvirtd").CombinedOutput(); err != nil {
		t.Fatalf("pkill libvirtd: %v: %s", err, out)
	}
	waitLibvirtd(t, false)
	down := a.call(t, "/vm/vmsync", map[string]any{})
	if down["success"] != false || !strings.Contains(down["error"].(string), "libvirt") {
		t.Fatalf("vmsync with libvirtd down = %v, want a failure naming libvirt", down)
	}
	if code, _ := a.postSync(t, "/host/echo", nil); code != 200 {
		t.Fatalf("agent stopped serving while libvirtd was down: echo %d", code)
	}

	if out, err := exec.Command("libvirtd", "-d").CombinedOutput(); err != nil {
		t.Fatalf("start libvirtd: %v: %s", err, out)
	}
	waitLibvirtd(t, true)
	mustSucceed(t, "vmsync after libvirtd came back", a.call(t, "/vm/vmsync", map[string]any{}))
}
