package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeUsbRedirect(t *testing.T) {
	spicevmc := func() *libvirtxml.DomainChardevSource {
		return &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}}
	}
	redir := func(port string) libvirtxml.DomainRedirDev {
		return libvirtxml.DomainRedirDev{Bus: "usb", Source: spicevmc(),
			Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(0), Port: port}}}
	}
	redirect := libvirtxml.DomainDeviceList{
		Controllers: []libvirtxml.DomainController{
			{Type: "usb", Model: "ich9-ehci1"}, {Type: "usb", Model: "ich9-uhci1"},
			{Type: "usb", Model: "ich9-uhci2"}, {Type: "usb", Model: "ich9-uhci3"},
		},
		Channels: []libvirtxml.DomainChannel{{
			Source: spicevmc(),
			Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "com.redhat.spice.0"}},
		}},
		RedirDevs: []libvirtxml.DomainRedirDev{redir("2"), redir("3"), redir("4"), redir("6")},
	}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
		want libvirtxml.DomainDeviceList
	}{
		{"usbRedirect true", cmdWith(func(c *StartVmCmd) { c.UsbRedirect = "true" }), cfgX86, redirect},
		{"usbRedirect true on aarch64", cmdWith(func(c *StartVmCmd) { c.UsbRedirect = "true" }), cfgArm64, redirect},
		{"usbRedirect false", baseCmd(), cfgX86, libvirtxml.DomainDeviceList{Controllers: []libvirtxml.DomainController{
			{Type: "usb", Index: uintPtr(0)}, {Type: "usb", Index: uintPtr(1), Model: "ehci"}, {Type: "usb", Index: uintPtr(2), Model: "nec-xhci"},
		}}},
		{"usbRedirect True is not true", cmdWith(func(c *StartVmCmd) { c.UsbRedirect = "True" }), cfgX86, libvirtxml.DomainDeviceList{Controllers: []libvirtxml.DomainController{
			{Type: "usb", Index: uintPtr(0)}, {Type: "usb", Index: uintPtr(1), Model: "ehci"}, {Type: "usb", Index: uintPtr(2), Model: "nec-xhci"},
		}}},
		{"usbRedirect false on aarch64", baseCmd(), cfgArm64, libvirtxml.DomainDeviceList{Controllers: []libvirtxml.DomainController{{Type: "usb", Index: uintPtr(0)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeUsbRedirect, tc.cmd, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(tc.want))
		})
	}
}
