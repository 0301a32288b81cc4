package vmplugin

import (
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// MakeDevices is make_devices: <devices> with the emulator and the USB
// tablet (absolute pointer for VNC/SPICE), plus a USB keyboard on aarch64,
// whose virt machine has no PS/2.
func MakeDevices(c *BuildContext) error {
	devs := c.Devices()
	if a := c.Cmd.Addons; !a.IsEmpty() && a.QemuPath != "" {
		devs.Emulator = a.QemuPath
	} else {
		p, err := c.Host.QemuPath()
		if err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
		devs.Emulator = p
	}
	devs.Inputs = append(devs.Inputs, libvirtxml.DomainInput{
		Type: "tablet", Bus: "usb",
		Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(0), Port: "1"}},
	})
	if c.IsAarch64() {
		devs.Inputs = append(devs.Inputs, libvirtxml.DomainInput{Type: "keyboard", Bus: "usb"})
	}
	return nil
}
