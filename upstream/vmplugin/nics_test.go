package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeNics(t *testing.T) {
	iface := func(mac, br, dev, alias, model string) libvirtxml.DomainInterface {
		return libvirtxml.DomainInterface{
			MAC:    &libvirtxml.DomainInterfaceMAC{Address: mac},
			Alias:  &libvirtxml.DomainAlias{Name: alias},
			Source: &libvirtxml.DomainInterfaceSource{Bridge: &libvirtxml.DomainInterfaceSourceBridge{Bridge: br}},
			Model:  &libvirtxml.DomainInterfaceModel{Type: model},
			Target: &libvirtxml.DomainInterfaceTarget{Dev: dev},
		}
	}
	virtio0 := iface("fa:3e:7a:9c:41:00", "br_eth0", "vnic17.0", "net0", "virtio")
	withIP := iface("fa:3e:7a:9c:41:00", "br_eth0", "vnic17.0", "net0", "virtio")
	withIP.FilterRef = &libvirtxml.DomainInterfaceFilterRef{Filter: "clean-traffic", Parameters: []libvirtxml.DomainInterfaceFilterParam{{Name: "IP", Value: "10.1.1.5"}}}
	qos := iface("fa:3e:7a:9c:41:00", "br_eth0", "vnic17.0", "net0", "virtio")
	qos.Bandwidth = &libvirtxml.DomainInterfaceBandwidth{
		Outbound: &libvirtxml.DomainInterfaceBandwidthParams{Average: intPtr(12800)},
		Inbound:  &libvirtxml.DomainInterfaceBandwidthParams{Average: intPtr(0)},
	}
	inOnly := iface("fa:3e:7a:9c:41:00", "br_eth0", "vnic17.0", "net0", "virtio")
	inOnly.Bandwidth = &libvirtxml.DomainInterfaceBandwidth{Inbound: &libvirtxml.DomainInterfaceBandwidthParams{Average: intPtr(1)}}

	for _, tc := range []struct {
		name    string
		cmd     *StartVmCmd
		want    *libvirtxml.Domain
		wantErr string
	}{
		{"nics empty", cmdWith(func(c *StartVmCmd) { c.Nics = nil }), &libvirtxml.Domain{}, ""},
		{"useVirtio true", baseCmd(), devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{virtio0}}), ""},
		{"useVirtio false is e1000 whatever the NIC says", cmdWith(func(c *StartVmCmd) { c.UseVirtio = false; c.Nics[0].UseVirtio = true }),
			devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{iface("fa:3e:7a:9c:41:00", "br_eth0", "vnic17.0", "net0", "e1000")}}), ""},
		{"nicInternalName alias takes the part after the first dot", cmdWith(func(c *StartVmCmd) { c.Nics[0].NicInternalName = "vnic9.3.7" }),
			devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{iface("fa:3e:7a:9c:41:00", "br_eth0", "vnic9.3.7", "net3", "virtio")}}), ""},
		{"ip adds clean-traffic", cmdWith(func(c *StartVmCmd) { c.Nics[0].IP = "10.1.1.5" }),
			devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{withIP}}), ""},
		{"NicQos in KiB/s, floored", cmdWith(func(c *StartVmCmd) {
			c.Addons.NicQos = map[string]NicQos{"n0": {OutboundBandwidth: 104857600, InboundBandwidth: 8191}}
		}), devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{qos}}), ""},
		{"NicQos inbound only", cmdWith(func(c *StartVmCmd) { c.Addons.NicQos = map[string]NicQos{"n0": {InboundBandwidth: 8192}} }),
			devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{inOnly}}), ""},
		{"NicQos for another nic", cmdWith(func(c *StartVmCmd) { c.Addons.NicQos = map[string]NicQos{"other": {InboundBandwidth: 8192}} }),
			devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{virtio0}}), ""},
		{"NicQos all zero", cmdWith(func(c *StartVmCmd) { c.Addons.NicQos = map[string]NicQos{"n0": {}} }),
			devicesOnly(libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{virtio0}}), ""},
		{"nicInternalName without a dot", cmdWith(func(c *StartVmCmd) { c.Nics[0].NicInternalName = "vnic17" }), nil,
			`nics[0].nicInternalName: "vnic17" has no '.' (list index out of range)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeNics, tc.cmd, cfgX86, nil)
			checkStep(t, got, err, tc.wantErr, tc.want)
		})
	}
}
