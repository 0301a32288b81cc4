package vmplugin

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// MakeNics is make_nics: one bridge interface per NIC, in command order.
// The model follows the command-wide useVirtio, not the NIC's own flag
// (the seed never reads NicTO.useVirtio).
func MakeNics(c *BuildContext) error {
	cmd := c.Cmd
	if len(cmd.Nics) == 0 {
		return nil
	}
	devs := c.Devices()
	model := "e1000"
	if cmd.UseVirtio {
		model = "virtio"
	}
	for i := range cmd.Nics {
		nic := &cmd.Nics[i]
		field := fmt.Sprintf("nics[%d]", i)
		// The alias is "net" + the NIC's device number, taken from the part
		// after the first '.' of vnic<vmInternalId>.<deviceId>.
		parts := strings.Split(nic.NicInternalName, ".")
		if len(parts) < 2 {
			return fmt.Errorf("%s.nicInternalName: %q has no '.' (list index out of range)", field, nic.NicInternalName)
		}
		iface := libvirtxml.DomainInterface{
			MAC:    &libvirtxml.DomainInterfaceMAC{Address: nic.Mac},
			Alias:  &libvirtxml.DomainAlias{Name: "net" + parts[1]},
			Source: &libvirtxml.DomainInterfaceSource{Bridge: &libvirtxml.DomainInterfaceSourceBridge{Bridge: nic.BridgeName}},
			Model:  &libvirtxml.DomainInterfaceModel{Type: model},
			Target: &libvirtxml.DomainInterfaceTarget{Dev: nic.NicInternalName},
		}
		if nic.IP != "" {
			iface.FilterRef = &libvirtxml.DomainInterfaceFilterRef{
				Filter:     "clean-traffic",
				Parameters: []libvirtxml.DomainInterfaceFilterParam{{Name: "IP", Value: nic.IP}},
			}
		}
		bw, err := nicBandwidth(cmd.Addons, nic.UUID)
		if err != nil {
			return fmt.Errorf("addons.NicQos[%s]: %w", nic.UUID, err)
		}
		iface.Bandwidth = bw
		devs.Interfaces = append(devs.Interfaces, iface)
	}
	return nil
}

// nicBandwidth is nic_qos: addons.NicQos[uuid] in bits per second becomes
// libvirt's KiB per second (Python 2 integer division, so it floors).
func nicBandwidth(a *Addons, nicUUID string) (*libvirtxml.DomainInterfaceBandwidth, error) {
	if a.IsEmpty() || len(a.NicQos) == 0 {
		return nil, nil
	}
	qos, ok := a.NicQos[nicUUID]
	if !ok || (qos.OutboundBandwidth == 0 && qos.InboundBandwidth == 0) {
		return nil, nil
	}
	kib := func(bits int64) (*libvirtxml.DomainInterfaceBandwidthParams, error) {
		v := floorDiv(floorDiv(bits, 1024), 8)
		if int64(int(v)) != v {
			return nil, fmt.Errorf("bandwidth %d out of range", bits)
		}
		return &libvirtxml.DomainInterfaceBandwidthParams{Average: intPtr(int(v))}, nil
	}
	bw := &libvirtxml.DomainInterfaceBandwidth{}
	var err error
	if qos.OutboundBandwidth != 0 {
		if bw.Outbound, err = kib(qos.OutboundBandwidth); err != nil {
			return nil, fmt.Errorf("outboundBandwidth: %w", err)
		}
	}
	if qos.InboundBandwidth != 0 {
		if bw.Inbound, err = kib(qos.InboundBandwidth); err != nil {
			return nil, fmt.Errorf("inboundBandwidth: %w", err)
		}
	}
	return bw, nil
}
