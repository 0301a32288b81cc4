package linux

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Queries on network devices, read from /sys/class/net: no program to run,
// and no output format to parse.

func (r Root) netPath(name string, elem ...string) string {
	return r.sysPath(append([]string{"class", "net", name}, elem...)...)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// InterfaceExists reports whether a network device called name exists.
func (r Root) InterfaceExists(name string) bool {
	return ValidateInterfaceName(name) == nil && exists(r.netPath(name))
}

// IsBridge is linux.is_bridge: name exists and is a Linux bridge.
func (r Root) IsBridge(name string) bool {
	return ValidateInterfaceName(name) == nil && exists(r.netPath(name, "bridge"))
}

// IsVlan reports whether name is an 802.1Q VLAN device.
func (r Root) IsVlan(name string) bool {
	if ValidateInterfaceName(name) != nil {
		return false
	}
	b, err := os.ReadFile(r.netPath(name, "uevent"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "DEVTYPE=vlan" {
			return true
		}
	}
	return false
}

// BridgeOf is linux.find_bridge_having_physical_interface: the bridge that
// iface is a port of, or "" when it is in none.
func (r Root) BridgeOf(iface string) (string, error) {
	if err := checkName("interface", iface); err != nil {
		return "", err
	}
	target, err := os.Readlink(r.netPath(iface, "brport", "bridge"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the bridge of %s: %w", iface, err)
	}
	return filepath.Base(target), nil
}

// ListBridgeInterfaces is linux.get_all_bridge_interface: the ports of
// bridge br, sorted.
func (r Root) ListBridgeInterfaces(br string) ([]string, error) {
	if err := checkName("bridge", br); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(r.netPath(br, "brif"))
	if err != nil {
		return nil, fmt.Errorf("list the interfaces of bridge %s: %w", br, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

// MACAddress is the hardware address of name, as the kernel prints it.
func (r Root) MACAddress(name string) (string, error) {
	if err := checkName("interface", name); err != nil {
		return "", err
	}
	s, err := readText(r.netPath(name, "address"))
	if err != nil {
		return "", fmt.Errorf("mac address of %s: %w", name, err)
	}
	return strings.TrimSpace(s), nil
}

// InterfaceExists reports whether a network device called name exists.
func InterfaceExists(name string) bool { return System().InterfaceExists(name) }

// IsBridge is linux.is_bridge.
func IsBridge(name string) bool { return System().IsBridge(name) }

// IsVlan reports whether name is a VLAN device.
func IsVlan(name string) bool { return System().IsVlan(name) }

// BridgeOf returns the bridge iface is a port of, or "".
func BridgeOf(iface string) (string, error) { return System().BridgeOf(iface) }

// ListBridgeInterfaces returns the ports of bridge br.
func ListBridgeInterfaces(br string) ([]string, error) { return System().ListBridgeInterfaces(br) }
