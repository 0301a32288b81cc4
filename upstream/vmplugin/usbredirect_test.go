package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeUsbRedirect(t *testing.T) {
	spicevmc := func() *libvirtxml.DomainChardevSource {
		return &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}}
	}
	redir := func(bus uint, port string) libvirtxml.DomainRedirDev {
		return libvirtxml.DomainRedirDev{Bus: "usb", Source: spicevmc(),
			Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(bus), Port: port}}}
	}
	x86 := libvirtxml.DomainDeviceList{
		Controllers: []libvirtxml.DomainController{
			{Type: "usb", Index: uintPtr(0)},
			{Type: "usb", Index: uintPtr(1), Model: "ehci"}, {Type: "usb", Index: uintPtr(2), Model: "nec-xhci"},
			{Type: "usb", Index: uintPtr(3), Model: "ehci"}, {Type: "usb", Index: uintPtr(4), Model: "nec-xhci"},
		},
		Channels: []libvirtxml.DomainChannel{{
			Source: spicevmc(),
			Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "com.redhat.spice.0"}},
		}},
		RedirDevs: []libvirtxml.DomainRedirDev{redir(3, "1"), redir(3, "2"), redir(4, "1"), redir(4, "2")},
	}
	arm := libvirtxml.DomainDeviceList{Controllers: []libvirtxml.DomainController{{Type: "usb", Index: uintPtr(0)}}}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
		want libvirtxml.DomainDeviceList
	}{
		{"usbRedirect true", cmdWith(func(c *StartVmCmd) { c.UsbRedirect = "true" }), cfgX86, x86},
		{"usbRedirect false redirects too", baseCmd(), cfgX86, x86},
		{"usbRedirect absent redirects too", cmdWith(func(c *StartVmCmd) { c.UsbRedirect = "" }), cfgX86, x86},
		{"aarch64: the default controller only", cmdWith(func(c *StartVmCmd) { c.UsbRedirect = "true" }), cfgArm64, arm},
		{"aarch64 with usbRedirect false", baseCmd(), cfgArm64, arm},
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
