package vmplugin

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/virtconn"
)

// TestFailedStartRemovesCreatedDirs: the channel directories a failed start
// made are gone after it, one that was there before stays, and the next
// start works.
func TestFailedStartRemovesCreatedDirs(t *testing.T) {
	_, root := confinedTree(t)
	pre := filepath.Join(root, "pre")
	if err := os.Mkdir(pre, 0o755); err != nil {
		t.Fatal(err)
	}
	a := startTestAgent(t, PluginConfig{Emulator: testEmulator, ConfinedDirs: []string{root}})
	for _, tc := range []struct {
		name   string
		socket string
		gone   string // created by the start, removed after its failure
		kept   string
	}{
		{"new directories", root + "/a/b/sock", root + "/a", root},
		{"existing directory", pre + "/sock", "", pre},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := hostCmd(withChannel(tc.socket))
			removeClash := defineClash(t, cmd.VMInstanceUUID)
			if ok, e, _ := a.call(t, KVMStartVMPath, cmd); ok || !strings.Contains(e, "libvirt error") {
				t.Fatalf("start over a clashing domain: success=%v error=%q", ok, e)
			}
			if tc.gone != "" && pathExists(tc.gone) {
				t.Errorf("%s is still there after the failed start", tc.gone)
			}
			if !isDir(tc.kept) {
				t.Errorf("%s was removed", tc.kept)
			}
			removeClash()
			if ok, e, _ := a.call(t, KVMStartVMPath, cmd); !ok {
				t.Fatalf("next start: %s", e)
			}
			if !isDir(filepath.Dir(tc.socket)) {
				t.Errorf("next start did not make %s", filepath.Dir(tc.socket))
			}
			destroyVM(t, a, cmd.VMInstanceUUID)
		})
	}
}

// TestFailedStartUndefinesCHAPSecret: the CHAP secret a failed start
// defined is gone, so the next start of the same target can define its
// own (libvirt allows one secret per iSCSI target). The test driver has no
// secrets, so they go to the shared libvirtd while domains stay in
// test:///default; only this test's target is looked at.
func TestFailedStartUndefinesCHAPSecret(t *testing.T) {
	if out, err := exec.Command("virsh", "-c", "qemu:///system", "version").CombinedOutput(); err != nil {
		t.Skipf("needs libvirtd for secrets (the test driver has none): virsh -c qemu:///system version: %v: %s", err, out)
	}
	sys := virtconn.New("qemu:///system", nil)
	t.Cleanup(func() { sys.Close() })
	_, root := confinedTree(t)
	a := startTestAgent(t, PluginConfig{Emulator: testEmulator, ConfinedDirs: []string{root}})
	a.Plugin.Host.(*LiveHost).Conn = sys
	target := "iqn.2024-01.test.strata:undo-" + randomVMUUID()[:12]
	t.Cleanup(func() {
		for _, s := range iscsiSecrets(t, sys, target) {
			undefineSecret(sys, s)
		}
	})
	cmd := hostCmd(func(c *StartVmCmd) {
		c.RootVolume.InstallPath = "iscsi://127.0.0.1:3260/" + target + "/0"
		c.RootVolume.ChapUsername, c.RootVolume.ChapPassword = "chapuser", "Chap-Pw-61385"
		withChannel(root + "/vm/sock")(c)
	})
	removeClash := defineClash(t, cmd.VMInstanceUUID)
	if ok, e, _ := a.call(t, KVMStartVMPath, cmd); ok || !strings.Contains(e, "libvirt error") {
		t.Fatalf("start over a clashing domain: success=%v error=%q", ok, e)
	}
	if got := iscsiSecrets(t, sys, target); len(got) != 0 {
		t.Errorf("secrets for %s after the failed start: %q", target, got)
	}
	if pathExists(root + "/vm") {
		t.Errorf("%s/vm is still there after the failed start", root)
	}
	removeClash()
	if ok, e, _ := a.call(t, KVMStartVMPath, cmd); !ok {
		t.Fatalf("next start: %s", e)
	}
	if got := iscsiSecrets(t, sys, target); len(got) != 1 {
		t.Errorf("secrets for %s after the next start: %q, want one", target, got)
	}
	destroyVM(t, a, cmd.VMInstanceUUID)
}

// iscsiSecrets lists the uuids of the iSCSI secrets whose usage is target.
func iscsiSecrets(t *testing.T, conn *virtconn.Conn, target string) []string {
	t.Helper()
	var uuids []string
	err := conn.Do(func(c *libvirt.Connect) error {
		secs, err := c.ListAllSecrets(libvirt.CONNECT_LIST_SECRETS_NO_PRIVATE | libvirt.CONNECT_LIST_SECRETS_PRIVATE)
		if err != nil {
			return err
		}
		for i := range secs {
			if typ, _ := secs[i].GetUsageType(); typ == libvirt.SECRET_USAGE_TYPE_ISCSI {
				if id, _ := secs[i].GetUsageID(); id == target {
					u, _ := secs[i].GetUUIDString()
					uuids = append(uuids, u)
				}
			}
			secs[i].Free()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uuids
}

func undefineSecret(conn *virtconn.Conn, uuid string) {
	_ = (&LiveHost{Conn: conn}).undefineSecret(uuid)(context.Background())
}

// TestISCSILoginUndo: a login this start made is logged out by the undo;
// one already present serves someone else and is left alone.
func TestISCSILoginUndo(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		wantLogout bool
	}{{"", true}, {"present", false}} {
		t.Run("mode "+tc.mode, func(t *testing.T) {
			calls := fakeISCSIAdm(t, tc.mode)
			u := &startUndo{}
			h := &LiveHost{undo: u}
			// The by-path device never appears: the wait ends with ctx.
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			tgt := ISCSITarget{Hostname: "127.0.0.1", Port: "3260", Target: "iqn.2024-01.test.strata:login", Lun: "1"}
			if _, err := h.ISCSILogin(ctx, tgt); err == nil || !strings.Contains(err.Error(), "did not appear") {
				t.Fatalf("ISCSILogin err = %v", err)
			}
			u.run(t.Context(), slog.New(slog.DiscardHandler))
			b, err := os.ReadFile(calls)
			if err != nil {
				t.Fatal(err)
			}
			logout := "-m node --targetname " + tgt.Target + " --portal 127.0.0.1:3260 --logout"
			if got := strings.Contains(string(b), logout); got != tc.wantLogout {
				t.Errorf("logout called = %v, want %v; calls:\n%s", got, tc.wantLogout, b)
			}
		})
	}
}

// TestStartUndoOutsideAStart: a LiveHost outside a start records nothing
// (render, reboot) and hostFor hands out p.Host itself.
func TestStartUndoOutsideAStart(t *testing.T) {
	var u *startUndo
	u.add("nothing", nil) // must not panic
	p := New(PluginConfig{}, virtconn.New("test:///default", nil), nil)
	if p.hostFor(t.Context()) != p.Host {
		t.Error("hostFor outside a start is not p.Host")
	}
	ctx, undo := beginStart(t.Context())
	h, ok := p.hostFor(ctx).(*LiveHost)
	if !ok || h == p.Host || h.undo != undo || p.Host.(*LiveHost).undo != nil {
		t.Errorf("hostFor inside a start: %+v", h)
	}
}
