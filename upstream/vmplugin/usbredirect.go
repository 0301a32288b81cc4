package vmplugin

import "libvirt.org/go/libvirtxml"

// spiceRedirPorts are the ports of the four SPICE USB redirection devices
// on USB bus 0 (port 1 is the tablet; the seed skips 5).
var spiceRedirPorts = []string{"2", "3", "4", "6"}

// MakeUsbRedirect is make_usb_redirect. With usbRedirect "true": the ICH9
// EHCI + three UHCI companions, the SPICE agent channel and four
// redirection devices. Otherwise one controller per USB generation (1.1,
// 2.0, 3.0), of which aarch64 keeps only the default one.
func MakeUsbRedirect(c *BuildContext) error {
	devs := c.Devices()
	if c.Cmd.UsbRedirect == "true" {
		// The seed also sets multifunction="on" on ich9-uhci1; the schema
		// has no such controller attribute, so it is dropped (deviation table).
		for _, model := range []string{"ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3"} {
			devs.Controllers = append(devs.Controllers, libvirtxml.DomainController{Type: "usb", Model: model})
		}
		// The seed's bare <address type="virtio-serial"/> fails the schema;
		// without it libvirt assigns the same virtio-serial port itself.
		devs.Channels = append(devs.Channels, libvirtxml.DomainChannel{
			Source: &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}},
			Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "com.redhat.spice.0"}},
		})
		for _, port := range spiceRedirPorts {
			devs.RedirDevs = append(devs.RedirDevs, libvirtxml.DomainRedirDev{
				Bus:     "usb",
				Source:  &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}},
				Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(0), Port: port}},
			})
		}
		return nil
	}
	devs.Controllers = append(devs.Controllers, libvirtxml.DomainController{Type: "usb", Index: uintPtr(0)})
	if !c.IsAarch64() {
		devs.Controllers = append(devs.Controllers,
			libvirtxml.DomainController{Type: "usb", Index: uintPtr(1), Model: "ehci"},
			libvirtxml.DomainController{Type: "usb", Index: uintPtr(2), Model: "nec-xhci"},
		)
	}
	return nil
}
