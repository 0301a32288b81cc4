package vmplugin

import "libvirt.org/go/libvirtxml"

// spiceRedirAddrs are the USB bus and port of the four SPICE USB
// redirection devices: two on each of the redirect controllers (3 and 4).
var spiceRedirAddrs = []struct {
	bus  uint
	port string
}{{3, "1"}, {3, "2"}, {4, "1"}, {4, "2"}}

// MakeUsbRedirect is make_usb_redirect: the default USB controller, and
// except on aarch64 (which keeps only that one) one controller per USB
// generation (1.1, 2.0, 3.0), two more (EHCI and XHCI) for redirection,
// the SPICE agent channel and four redirection devices on them. usbRedirect
// no longer matters: every VM gets them. libvirt 9 refuses to define the
// spicevmc devices without SPICE graphics (a VNC-only VM), as it refuses the
// seed's.
func MakeUsbRedirect(c *BuildContext) error {
	devs := c.Devices()
	devs.Controllers = append(devs.Controllers, libvirtxml.DomainController{Type: "usb", Index: uintPtr(0)})
	if c.IsAarch64() {
		return nil
	}
	devs.Controllers = append(devs.Controllers,
		libvirtxml.DomainController{Type: "usb", Index: uintPtr(1), Model: "ehci"},
		libvirtxml.DomainController{Type: "usb", Index: uintPtr(2), Model: "nec-xhci"},
		libvirtxml.DomainController{Type: "usb", Index: uintPtr(3), Model: "ehci"},
		libvirtxml.DomainController{Type: "usb", Index: uintPtr(4), Model: "nec-xhci"},
	)
	// The seed's bare <address type="virtio-serial"/> fails the schema;
	// without it libvirt assigns the same virtio-serial port itself.
	devs.Channels = append(devs.Channels, libvirtxml.DomainChannel{
		Source: &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}},
		Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "com.redhat.spice.0"}},
	})
	for _, a := range spiceRedirAddrs {
		devs.RedirDevs = append(devs.RedirDevs, libvirtxml.DomainRedirDev{
			Bus:     "usb",
			Source:  &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}},
			Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(a.bus), Port: a.port}},
		})
	}
	return nil
}
