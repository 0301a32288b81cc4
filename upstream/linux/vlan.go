package linux

import (
	"context"
	"fmt"
)

// CreateVlanEth is linux.create_vlan_eth without the optional address: make
// the 802.1Q device "<eth>.<vlan>" on eth if missing, bring it up, and
// return its name.
func CreateVlanEth(ctx context.Context, eth string, vlan int) (string, error) {
	if err := checkName("ethernet device", eth); err != nil {
		return "", err
	}
	if vlan < 1 || vlan > 4094 {
		return "", fmt.Errorf("invalid vlan id %d: must be 1-4094", vlan)
	}
	dev := fmt.Sprintf("%s.%d", eth, vlan)
	if err := checkName("vlan device", dev); err != nil {
		return "", err
	}
	if !InterfaceExists(eth) {
		return "", fmt.Errorf("cannot find ethernet device %s", eth)
	}
	if !InterfaceExists(dev) {
		if _, err := ipCmd(ctx, "link", "add", "link", eth, "name", dev, "type", "vlan", "id", fmt.Sprint(vlan)); err != nil {
			return "", fmt.Errorf("create vlan device %s: %w", dev, err)
		}
	} else if !IsVlan(dev) {
		return "", fmt.Errorf("network device %s exists and is not a vlan device", dev)
	}
	if _, err := ipCmd(ctx, "link", "set", "dev", dev, "up"); err != nil {
		return "", fmt.Errorf("bring up vlan device %s: %w", dev, err)
	}
	return dev, nil
}

// CreateVlanBridge is linux.create_vlan_bridge: the VLAN device, then bridge
// br over it. Routes are not moved: the seed moves them only when an address
// is given, and this port takes none.
func CreateVlanBridge(ctx context.Context, br, eth string, vlan int) error {
	if err := checkName("bridge name", br); err != nil {
		return err
	}
	dev, err := CreateVlanEth(ctx, eth, vlan)
	if err != nil {
		return err
	}
	return CreateBridge(ctx, br, dev, false)
}

// DeleteVlanEth is linux.delete_vlan_eth: take dev down and delete it. A
// missing device is already deleted; a device that is not a VLAN is refused.
func DeleteVlanEth(ctx context.Context, dev string) error {
	if err := checkName("vlan device", dev); err != nil {
		return err
	}
	if !InterfaceExists(dev) {
		return nil
	}
	if !IsVlan(dev) {
		return fmt.Errorf("cannot delete vlan device %s: it is not a vlan device", dev)
	}
	if _, err := ipCmd(ctx, "link", "set", "dev", dev, "down"); err != nil {
		return fmt.Errorf("delete vlan device %s: %w", dev, err)
	}
	if _, err := ipCmd(ctx, "link", "del", "dev", dev); err != nil {
		return fmt.Errorf("delete vlan device %s: %w", dev, err)
	}
	return nil
}
