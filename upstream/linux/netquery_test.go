package linux

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeSys builds /sys/class/net for: bridge br0 with ports eth0 and eth1,
// a lone eth2, and VLAN device eth2.10.
func fakeSys(t *testing.T) Root {
	t.Helper()
	sys := t.TempDir()
	net := filepath.Join(sys, "class", "net")
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(net, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	put := func(p, s string) {
		if err := os.WriteFile(filepath.Join(net, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(net, p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"br0/bridge", "br0/brif", "eth0/brport", "eth1/brport", "eth2", "eth2.10"} {
		mk(d)
	}
	put("br0/uevent", "DEVTYPE=bridge\nINTERFACE=br0\n")
	put("eth2.10/uevent", "DEVTYPE=vlan\nINTERFACE=eth2.10\n")
	put("eth2/uevent", "INTERFACE=eth2\n")
	put("eth0/address", "52:54:00:12:34:56\n")
	link("../../br0", "eth0/brport/bridge")
	link("../../br0", "eth1/brport/bridge")
	link("../../eth1/brport", "br0/brif/eth1")
	link("../../eth0/brport", "br0/brif/eth0")
	return Root{Proc: t.TempDir(), Sys: sys}
}

func TestNetQueries(t *testing.T) {
	r := fakeSys(t)
	for _, tc := range []struct {
		name                 string
		exists, bridge, vlan bool
	}{
		{"br0", true, true, false},
		{"eth0", true, false, false},
		{"eth2", true, false, false},
		{"eth2.10", true, false, true},
		{"nope", false, false, false},
		{"../net", false, false, false}, // never reaches the filesystem
	} {
		if got := r.InterfaceExists(tc.name); got != tc.exists {
			t.Errorf("InterfaceExists(%q) = %v", tc.name, got)
		}
		if got := r.IsBridge(tc.name); got != tc.bridge {
			t.Errorf("IsBridge(%q) = %v", tc.name, got)
		}
		if got := r.IsVlan(tc.name); got != tc.vlan {
			t.Errorf("IsVlan(%q) = %v", tc.name, got)
		}
	}

	for iface, want := range map[string]string{"eth0": "br0", "eth1": "br0", "eth2": "", "nope": ""} {
		if got, err := r.BridgeOf(iface); err != nil || got != want {
			t.Errorf("BridgeOf(%q) = %q, %v; want %q", iface, got, err, want)
		}
	}
	if _, err := r.BridgeOf("a b"); err == nil || !strings.Contains(err.Error(), "invalid interface") {
		t.Errorf("BridgeOf with a bad name: err = %v", err)
	}

	ports, err := r.ListBridgeInterfaces("br0")
	if err != nil || !reflect.DeepEqual(ports, []string{"eth0", "eth1"}) {
		t.Errorf("ListBridgeInterfaces = %v, %v", ports, err)
	}
	if _, err := r.ListBridgeInterfaces("eth2"); err == nil {
		t.Error("ListBridgeInterfaces of a non-bridge: no error")
	}
	if mac, err := r.MACAddress("eth0"); err != nil || mac != "52:54:00:12:34:56" {
		t.Errorf("MACAddress = %q, %v", mac, err)
	}
}
