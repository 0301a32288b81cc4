package linux

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// These tests change the host's network devices, so they run only as root
// with iproute2, and only on devices they create themselves: a veth pair
// and bridges named with a random suffix, all removed in t.Cleanup.

func needNetAdmin(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
}

func suffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func ipRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v\n%s", args, err, out)
	}
}

func ipQuiet(args ...string) { _ = exec.Command("ip", args...).Run() }

// testVeth makes a veth pair owned by the test and returns the first end.
func testVeth(t *testing.T) string {
	t.Helper()
	s := suffix(t)
	a, b := "vest-"+s, "vesp-"+s
	ipRun(t, "link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { ipQuiet("link", "del", "dev", a) })
	return a
}

func testBridgeName(t *testing.T) string {
	t.Helper()
	br := "brst-" + suffix(t)
	t.Cleanup(func() { ipQuiet("link", "del", "dev", br) })
	return br
}

func TestCreateAndDeleteBridge(t *testing.T) {
	needNetAdmin(t)
	ctx := context.Background()
	veth := testVeth(t)
	br := testBridgeName(t)

	if err := CreateBridge(ctx, br, veth, false); err != nil {
		t.Fatal(err)
	}
	if !IsBridge(br) {
		t.Fatalf("%s is not a bridge", br)
	}
	if owner, err := BridgeOf(veth); err != nil || owner != br {
		t.Fatalf("BridgeOf(%s) = %q, %v", veth, owner, err)
	}
	if ports, err := ListBridgeInterfaces(br); err != nil || len(ports) != 1 || ports[0] != veth {
		t.Fatalf("ListBridgeInterfaces = %v, %v", ports, err)
	}
	brMAC, _ := System().MACAddress(br)
	vethMAC, _ := System().MACAddress(veth)
	if brMAC != vethMAC {
		t.Errorf("bridge mac %s, want the interface's %s", brMAC, vethMAC)
	}
	if fd, _ := readText(System().sysPath("class", "net", br, "bridge", "forward_delay")); strings.TrimSpace(fd) != "0" {
		t.Errorf("forward_delay = %q", fd)
	}
	if stp, _ := readText(System().sysPath("class", "net", br, "bridge", "stp_state")); strings.TrimSpace(stp) != "0" {
		t.Errorf("stp_state = %q", stp)
	}

	// Again: the interface is already in this bridge, nothing to do.
	if err := CreateBridge(ctx, br, veth, false); err != nil {
		t.Fatalf("second CreateBridge: %v", err)
	}
	// Another bridge may not take it.
	other := testBridgeName(t)
	err := CreateBridge(ctx, other, veth, false)
	if err == nil || !strings.Contains(err.Error(), "has been occupied by bridge["+br+"]") {
		t.Fatalf("CreateBridge on an occupied interface: %v", err)
	}
	if InterfaceExists(other) {
		t.Errorf("the refused bridge %s was created", other)
	}
	// A missing interface fails before any bridge is made.
	if err := CreateBridge(ctx, other, "nost-"+suffix(t), false); err == nil || !strings.Contains(err.Error(), "is not existing") {
		t.Fatalf("CreateBridge with a missing interface: %v", err)
	}
	if InterfaceExists(other) {
		t.Errorf("bridge %s was created for a missing interface", other)
	}
	// A bridge cannot be a port.
	if err := CreateBridge(ctx, other, br, false); err == nil || !strings.Contains(err.Error(), "is bridge") {
		t.Fatalf("CreateBridge over a bridge: %v", err)
	}

	// DeleteBridge refuses a non-bridge and tolerates a missing one.
	if err := DeleteBridge(ctx, veth); err == nil || !strings.Contains(err.Error(), "not a bridge") {
		t.Fatalf("DeleteBridge of a veth: %v", err)
	}
	if err := DeleteBridge(ctx, br); err != nil {
		t.Fatal(err)
	}
	if InterfaceExists(br) || !InterfaceExists(veth) {
		t.Fatalf("after DeleteBridge: bridge exists %v, veth exists %v", InterfaceExists(br), InterfaceExists(veth))
	}
	if err := DeleteBridge(ctx, br); err != nil {
		t.Fatalf("DeleteBridge of a missing bridge: %v", err)
	}
}

func TestCreateBridgeMovesAddressAndRoutes(t *testing.T) {
	needNetAdmin(t)
	ctx := context.Background()
	veth := testVeth(t)
	peer := "vesp-" + strings.TrimPrefix(veth, "vest-")
	br := testBridgeName(t)
	// Documentation-only addresses (RFC 5737) on devices this test owns.
	ipRun(t, "addr", "add", "192.0.2.10/24", "dev", veth)
	ipRun(t, "link", "set", "dev", veth, "up")
	ipRun(t, "link", "set", "dev", peer, "up")
	ipRun(t, "route", "add", "198.51.100.0/24", "via", "192.0.2.1", "dev", veth)

	if err := CreateBridge(ctx, br, veth, true); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("ip", "-4", "-o", "addr", "show", "dev", br).Output()
	if firstInetAddress(string(out)) != "192.0.2.10/24" {
		t.Errorf("address not on the bridge: %s", out)
	}
	out, _ = exec.Command("ip", "-4", "-o", "addr", "show", "dev", veth).Output()
	if firstInetAddress(string(out)) != "" {
		t.Errorf("address still on the interface: %s", out)
	}
	out, _ = exec.Command("ip", "-4", "route", "show", "dev", br).Output()
	if !strings.Contains(string(out), "198.51.100.0/24 via 192.0.2.1") {
		t.Errorf("route not moved to the bridge: %s", out)
	}
}

func TestNetworkArgumentsValidatedFirst(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"bridge name", func() error { return CreateBridge(ctx, "br;reboot", "eth0", false) }, `invalid bridge name "br;reboot"`},
		{"interface", func() error { return CreateBridge(ctx, "br0", "-eth0", false) }, `invalid interface "-eth0"`},
		{"vlan eth", func() error { _, err := CreateVlanEth(ctx, "eth 0", 10); return err }, `invalid ethernet device "eth 0"`},
		{"vlan id", func() error { _, err := CreateVlanEth(ctx, "eth0", 4095); return err }, "invalid vlan id 4095"},
		{"vlan device too long", func() error { _, err := CreateVlanEth(ctx, "enp129s0f1np1", 100); return err }, `invalid vlan device "enp129s0f1np1.100"`},
		{"vlan bridge", func() error { return CreateVlanBridge(ctx, "b$r", "eth0", 10) }, `invalid bridge name "b$r"`},
		{"delete bridge", func() error { return DeleteBridge(ctx, "br/../x") }, `invalid bridge name`},
		{"delete vlan", func() error { return DeleteVlanEth(ctx, "") }, `invalid vlan device ""`},
	} {
		if err := tc.run(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestVlan(t *testing.T) {
	needNetAdmin(t)
	ctx := context.Background()
	veth := testVeth(t)
	if _, err := CreateVlanEth(ctx, "nost-"+suffix(t), 10); err == nil || !strings.Contains(err.Error(), "cannot find ethernet device") {
		t.Fatalf("VLAN on a missing device: %v", err)
	}
	if err := DeleteVlanEth(ctx, veth); err == nil || !strings.Contains(err.Error(), "not a vlan") {
		t.Fatalf("DeleteVlanEth of a veth: %v", err)
	}
	dev, err := CreateVlanEth(ctx, veth, 10)
	if err != nil {
		if strings.Contains(err.Error(), "Unknown device type") {
			t.Skip("kernel without 802.1Q support (8021q)")
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { ipQuiet("link", "del", "dev", dev) })
	if dev != veth+".10" || !IsVlan(dev) {
		t.Fatalf("CreateVlanEth = %q (vlan %v)", dev, IsVlan(dev))
	}
	if again, err := CreateVlanEth(ctx, veth, 10); err != nil || again != dev {
		t.Fatalf("CreateVlanEth again = %q, %v", again, err)
	}
	br := testBridgeName(t)
	if err := CreateVlanBridge(ctx, br, veth, 10); err != nil {
		t.Fatal(err)
	}
	if owner, _ := BridgeOf(dev); owner != br {
		t.Fatalf("vlan device in bridge %q, want %q", owner, br)
	}
	if err := DeleteBridge(ctx, br); err != nil {
		t.Fatal(err)
	}
	if err := DeleteVlanEth(ctx, dev); err != nil || InterfaceExists(dev) {
		t.Fatalf("DeleteVlanEth: %v (still there: %v)", err, InterfaceExists(dev))
	}
}
