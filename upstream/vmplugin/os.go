package vmplugin

import (
	"errors"

	"libvirt.org/go/libvirtxml"
)

// aarch64Loader is the seed's UEFI firmware for aarch64 guests.
const aarch64Loader = "/usr/share/edk2.git/aarch64/QEMU_EFI-pflash.raw"

// errNoBootDev is the seed's IndexError on cmd.bootDev[0].
var errNoBootDev = errors.New("bootDev: list index out of range (bootDev is empty)")

// MakeOS is make_os. Boot devices go into <os> only when booting from the
// cdrom; booting from hd relies on the root disk's <boot order="1"/> (see
// MakeVolumes), since libvirt refuses both forms together.
func MakeOS(c *BuildContext) error {
	cmd := c.Cmd
	os := &libvirtxml.DomainOS{}
	if c.IsAarch64() {
		os.Type = &libvirtxml.DomainOSType{Arch: ArchAarch64, Type: "hvm"}
		os.Loader = &libvirtxml.DomainLoader{Path: aarch64Loader, Readonly: "yes", Type: "pflash"}
	} else {
		os.Type = &libvirtxml.DomainOSType{Machine: "pc", Type: "hvm"}
	}
	if len(cmd.BootDev) == 0 {
		return errNoBootDev
	}
	if cmd.BootDev[0] == "cdrom" {
		for _, dev := range cmd.BootDev {
			os.BootDevices = append(os.BootDevices, libvirtxml.DomainBootDevice{Dev: dev})
		}
	}
	if cmd.UseBootMenu {
		os.BootMenu = &libvirtxml.DomainBootMenu{Enable: "yes"}
	}
	c.Domain.OS = os
	return nil
}
