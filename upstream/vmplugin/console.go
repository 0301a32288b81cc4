package vmplugin

import "libvirt.org/go/libvirtxml"

// MakeConsole is make_console: a pty serial port 0 and the console on it
// (what `virsh console` attaches to).
func MakeConsole(c *BuildContext) error {
	devs := c.Devices()
	devs.Serials = append(devs.Serials, libvirtxml.DomainSerial{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
		Target: &libvirtxml.DomainSerialTarget{Port: uintPtr(0)},
	})
	devs.Consoles = append(devs.Consoles, libvirtxml.DomainConsole{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
		Target: &libvirtxml.DomainConsoleTarget{Type: "serial", Port: uintPtr(0)},
	})
	return nil
}
