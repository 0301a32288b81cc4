package linux

import (
	"context"
	"fmt"
	"strings"

	"github.com/strataagent/strata/upstream/shell"
)

// ipCmd runs `ip` with argv; the error already names the command and stderr.
func ipCmd(ctx context.Context, args ...string) (string, error) {
	return shell.Call(ctx, append([]string{"ip"}, args...)...)
}

// CreateBridge is linux.create_bridge: make bridge br (forward delay 0, STP
// off, up) if it does not exist, enslave iface to it and give br iface's MAC
// so the bridge's address does not change when other ports join. With
// moveRoute, iface's first IPv4 address and its gateway routes move to br.
func CreateBridge(ctx context.Context, br, iface string, moveRoute bool) error {
	if err := checkName("bridge name", br); err != nil {
		return err
	}
	if err := checkName("interface", iface); err != nil {
		return err
	}
	if IsBridge(iface) {
		return fmt.Errorf("interface %s is bridge", iface)
	}
	owner, err := BridgeOf(iface)
	if err != nil {
		return err
	}
	if owner == br {
		return nil
	}
	if owner != "" {
		return fmt.Errorf("failed to create bridge[%s], physical interface[%s] has been occupied by bridge[%s]", br, iface, owner)
	}
	// Checked before the bridge is made (the seed checks after), so a bad
	// interface does not leave an empty bridge behind.
	if !InterfaceExists(iface) {
		return fmt.Errorf("network device[%s] is not existing", iface)
	}
	if err := ensureBridge(ctx, br); err != nil {
		return err
	}
	if _, err := ipCmd(ctx, "link", "set", "dev", iface, "master", br); err != nil {
		return fmt.Errorf("add %s to bridge %s: %w", iface, br, err)
	}
	mac, err := System().MACAddress(iface)
	if err != nil {
		return err
	}
	if _, err := ipCmd(ctx, "link", "set", "dev", br, "address", mac); err != nil {
		return fmt.Errorf("set the mac of bridge %s to %s: %w", br, mac, err)
	}
	if !moveRoute {
		return nil
	}
	return moveAddressAndRoutes(ctx, iface, br)
}

func ensureBridge(ctx context.Context, br string) error {
	if InterfaceExists(br) {
		if !IsBridge(br) {
			return fmt.Errorf("network device %s exists and is not a bridge", br)
		}
		return nil
	}
	steps := [][]string{
		{"link", "add", "name", br, "type", "bridge"},
		{"link", "set", "dev", br, "type", "bridge", "forward_delay", "0", "stp_state", "0"},
		{"link", "set", "dev", br, "up"},
	}
	for _, args := range steps {
		if _, err := ipCmd(ctx, args...); err != nil {
			return fmt.Errorf("create bridge %s: %w", br, err)
		}
	}
	return nil
}

// moveAddressAndRoutes moves from's first IPv4 address to to. Routes through
// a gateway on from are recorded first, because removing the address drops
// them, then re-added on to.
func moveAddressAndRoutes(ctx context.Context, from, to string) error {
	out, err := ipCmd(ctx, "-4", "-o", "addr", "show", "dev", from)
	if err != nil {
		return fmt.Errorf("read the addresses of %s: %w", from, err)
	}
	addr := firstInetAddress(out)
	if addr == "" {
		return nil // no address, nothing to move
	}
	out, err = ipCmd(ctx, "-4", "route", "show", "dev", from)
	if err != nil {
		return fmt.Errorf("read the routes of %s: %w", from, err)
	}
	routes := gatewayRoutes(out)
	for _, r := range routes {
		if _, err := ipCmd(ctx, append(append([]string{"route", "del"}, r...), "dev", from)...); err != nil {
			return fmt.Errorf("move routes from %s to %s: %w", from, to, err)
		}
	}
	if _, err := ipCmd(ctx, "addr", "del", addr, "dev", from); err != nil {
		return fmt.Errorf("move address %s from %s to %s: %w", addr, from, to, err)
	}
	if _, err := ipCmd(ctx, "addr", "add", addr, "dev", to); err != nil {
		return fmt.Errorf("move address %s from %s to %s: %w", addr, from, to, err)
	}
	// The device is named explicitly (the seed let the kernel pick it), so
	// an "onlink" route can keep its flag.
	for _, r := range routes {
		if _, err := ipCmd(ctx, append(append([]string{"route", "add"}, r...), "dev", to)...); err != nil {
			return fmt.Errorf("move routes from %s to %s: %w", from, to, err)
		}
	}
	return nil
}

// firstInetAddress takes "A.B.C.D/N" from `ip -4 -o addr show` output.
func firstInetAddress(out string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet" {
				return f[i+1]
			}
		}
	}
	return ""
}

// gatewayRoutes splits the routes that go through a gateway ("via") out of
// `ip route show dev X` output, one argv tail per route.
func gatewayRoutes(out string) [][]string {
	var routes [][]string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for _, w := range f {
			if w == "via" {
				routes = append(routes, f)
				break
			}
		}
	}
	return routes
}

// DeleteBridge is linux.delete_bridge: release every port, take br down and
// delete it. A missing bridge is already deleted; a device that is not a
// bridge is refused, so a wrong name cannot remove a NIC.
func DeleteBridge(ctx context.Context, br string) error {
	if err := checkName("bridge name", br); err != nil {
		return err
	}
	if !InterfaceExists(br) {
		return nil
	}
	if !IsBridge(br) {
		return fmt.Errorf("cannot delete bridge %s: it is not a bridge", br)
	}
	ports, err := ListBridgeInterfaces(br)
	if err != nil {
		return err
	}
	for _, p := range ports {
		if _, err := ipCmd(ctx, "link", "set", "dev", p, "nomaster"); err != nil {
			return fmt.Errorf("delete bridge %s: %w", br, err)
		}
	}
	if _, err := ipCmd(ctx, "link", "set", "dev", br, "down"); err != nil {
		return fmt.Errorf("delete bridge %s: %w", br, err)
	}
	if _, err := ipCmd(ctx, "link", "del", "dev", br); err != nil {
		return fmt.Errorf("delete bridge %s: %w", br, err)
	}
	return nil
}
