package vmplugin

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/pathguard"
)

const testEmulator = "/usr/bin/qemu-system-x86_64"

// hostCmd is baseCmd with a fresh uuid and a root volume that needs no
// host command (virtio iSCSI without CHAP): only what a test adds touches
// the host.
func hostCmd(f func(*StartVmCmd)) *StartVmCmd {
	return cmdWith(func(c *StartVmCmd) {
		c.VMInstanceUUID = randomVMUUID()
		c.RootVolume = &VolumeTO{InstallPath: "iscsi://127.0.0.1:3260/iqn.2024-01.test.strata:root/0", DeviceType: "iscsi", VolumeUUID: "r0", UseVirtio: true, CacheMode: "none"}
		c.Addons = nil
		if f != nil {
			f(c)
		}
	})
}

func withChannel(path string) func(*StartVmCmd) {
	return func(c *StartVmCmd) {
		c.Addons = &Addons{Channel: &Channel{SocketPath: path, TargetName: "org.qemu.guest_agent.0"}}
	}
}

// confinedTree is a temp tree with the allowed directory qemu/ and, outside
// it, etc/ holding a file and qemu2/ (a sibling sharing the prefix).
// qemu/out links to etc/.
func confinedTree(t *testing.T) (base, root string) {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(base, "qemu")
	for _, d := range []string{"qemu", "qemu2", "etc"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "etc/victim"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "etc"), filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	return base, root
}

// TestStartConfinesChannelDir: start creates the channel socket's directory
// only inside the confined directories, with links and .. resolved first.
func TestStartConfinesChannelDir(t *testing.T) {
	base, root := confinedTree(t)
	outside := func(dir, resolved string, dirs string) string {
		p := dir
		if resolved != "" {
			p += " (resolves to " + resolved + ")"
		}
		return "make_addons: addons.channel.socketPath: mkdir " + dir + ": " + p + " is outside the allowed directories " + dirs
	}
	confined := PluginConfig{Emulator: testEmulator, ConfinedDirs: []string{root}}
	tests := []struct {
		name    string
		cfg     PluginConfig
		socket  string
		created string // directory that must exist after
		absent  string // directory that must not
		wantErr string
	}{
		{"allowed", confined, root + "/vm1/sock", root + "/vm1", "", ""},
		{"symlink escaping the root", confined, root + "/out/made/sock", "", base + "/etc/made",
			outside(root+"/out/made", base+"/etc/made", "["+root+"]")},
		{".. segments", confined, root + "/../etc/made/sock", "", base + "/etc/made",
			outside(root+"/../etc/made", base+"/etc/made", "["+root+"]")},
		{"sibling prefix", confined, base + "/qemu2/made/sock", "", base + "/qemu2/made",
			outside(base+"/qemu2/made", "", "["+root+"]")},
		{"default directories", PluginConfig{Emulator: testEmulator}, base + "/etc/made/sock", "", base + "/etc/made",
			outside(base+"/etc/made", "", "[/var/lib/libvirt/qemu]")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := startTestAgent(t, tc.cfg)
			cmd := hostCmd(withChannel(tc.socket))
			ok, errText, cb := a.call(t, KVMStartVMPath, cmd)
			if tc.wantErr == "" {
				if !ok {
					t.Fatalf("start failed: %s", errText)
				}
				destroyVM(t, a, cmd.VMInstanceUUID)
			} else {
				if ok || errText != tc.wantErr {
					t.Fatalf("start: success=%v error=%q\nwant error %q", ok, errText, tc.wantErr)
				}
				if h := cb.Header.Get(kvmagent.HeaderError); h != tc.wantErr {
					t.Errorf("error header %q", h)
				}
			}
			if tc.created != "" && !isDir(tc.created) {
				t.Errorf("%s was not created", tc.created)
			}
			if tc.absent != "" && pathExists(tc.absent) {
				t.Errorf("%s was created", tc.absent)
			}
		})
	}
}

// TestRenderIgnoresConfinement: render (OfflineHost) touches nothing and
// shows any command's XML, a socket path outside every directory included.
func TestRenderIgnoresConfinement(t *testing.T) {
	dom, err := Build(t.Context(), cmdWith(withChannel("/etc/strata-render/sock")), cfgX86, OfflineHost{})
	if err != nil {
		t.Fatal(err)
	}
	// Since 2.3.2 make_usb_redirect's spicevmc channel comes first.
	var got string
	for _, ch := range dom.Devices.Channels {
		if ch.Source != nil && ch.Source.UNIX != nil {
			got = ch.Source.UNIX.Path
		}
	}
	if got != "/etc/strata-render/sock" {
		t.Errorf("channel path %q", got)
	}
	if pathExists("/etc/strata-render") {
		t.Error("render created a directory")
	}
}

// TestStopRemovesOnlyConfinedSockets: stop and destroy remove a channel's
// socket only when it is a socket inside the confined directories; the
// rest is logged and the stop still succeeds.
func TestStopRemovesOnlyConfinedSockets(t *testing.T) {
	base, root := confinedTree(t)
	if err := os.Mkdir(filepath.Join(root, "vm"), 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(root, "vm/sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	regular := filepath.Join(root, "vm/nvram.fd") // another file in the allowed directory
	if err := os.WriteFile(regular, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	kept := map[string]string{
		base + "/etc/victim":          "is outside the allowed directories",
		root + "/out/victim":          "(resolves to " + base + "/etc/victim) is outside",
		root + "/vm/../../etc/victim": "is outside the allowed directories",
		base + "/qemu2":               "is outside the allowed directories",
		regular:                       "is a regular file, not a socket",
	}
	if err := os.WriteFile(filepath.Join(base, "qemu2/x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, destroy := range []bool{false, true} {
		a := startTestAgent(t, PluginConfig{Emulator: testEmulator, ConfinedDirs: []string{root}})
		cmd := hostCmd(nil)
		dom, err := Build(t.Context(), cmd, Config{DomainType: "kvm", Arch: ArchX86_64}, OfflineHost{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append([]string{sock}, keys(kept)...) {
			dom.Devices.Channels = append(dom.Devices.Channels, libvirtxml.DomainChannel{
				Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Mode: "bind", Path: p}},
				Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "ch" + string(rune('a'+len(dom.Devices.Channels)))}},
			})
		}
		x, err := MarshalDomain(dom)
		if err != nil {
			t.Fatal(err)
		}
		d, err := testConn(t).DomainCreateXML(x, 0)
		if err != nil {
			t.Fatal(err)
		}
		d.Free()
		path, body := KVMStopVMPath, any(StopVmCmd{UUID: cmd.VMInstanceUUID, Type: "cold"})
		if destroy {
			path, body = KVMDestroyVMPath, VmCmd{UUID: cmd.VMInstanceUUID}
		}
		if ok, e, _ := a.call(t, path, body); !ok {
			t.Fatalf("%s: %s", path, e)
		}
		for p, why := range kept {
			if !pathExists(p) {
				t.Errorf("%s: %s was removed", path, p)
			}
			if !strings.Contains(a.Log.String(), why) {
				t.Errorf("%s: log lacks %q", path, why)
			}
		}
		if pathExists(sock) {
			t.Errorf("%s: the socket %s was not removed", path, sock)
		}
		// For the next round.
		if l, err := net.Listen("unix", sock); err == nil {
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
		}
	}
}

// TestStartRefusesNonSocketAtChannelPath: QEMU unlinks whatever is at the
// socket path before it binds, so a start over another file is refused.
func TestStartRefusesNonSocketAtChannelPath(t *testing.T) {
	_, root := confinedTree(t)
	file := filepath.Join(root, "disk.img")
	if err := os.WriteFile(file, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startTestAgent(t, PluginConfig{Emulator: testEmulator, ConfinedDirs: []string{root}})
	cmd := hostCmd(withChannel(file))
	ok, errText, _ := a.call(t, KVMStartVMPath, cmd)
	want := "addons.channel.socketPath: " + file + " is a regular file, not a socket: QEMU would replace it"
	if ok || errText != want {
		t.Fatalf("start: success=%v error=%q, want %q", ok, errText, want)
	}
	if vm, _ := a.Plugin.GetVmByUUIDNoRetry(t.Context(), cmd.VMInstanceUUID, false); vm != nil {
		t.Error("the domain was defined")
	}
}

func TestLiveHostGuardDefault(t *testing.T) {
	var nilHost *LiveHost
	for name, h := range map[string]*LiveHost{"nil host": nilHost, "nil dirs": {}} {
		if got := h.Guard().Dirs; len(got) != 1 || got[0] != pathguard.DefaultDirs()[0] {
			t.Errorf("%s: dirs %q", name, got)
		}
	}
	_, err := (&LiveHost{ConfinedDirs: []string{}}).Guard().Create("/var/lib/libvirt/qemu/x")
	if !errors.Is(err, pathguard.ErrOutside) {
		t.Errorf("empty list: err = %v, want ErrOutside", err)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func keys(m map[string]string) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	return k
}
