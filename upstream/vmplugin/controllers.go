package vmplugin

import "libvirt.org/go/libvirtxml"

// MakeControllers is make_controllers: the virtio-scsi controller that
// virtio-SCSI disks (and aarch64's scsi disks and cdrom) attach to.
func MakeControllers(c *BuildContext) error {
	devs := c.Devices()
	devs.Controllers = append(devs.Controllers, libvirtxml.DomainController{Type: "scsi", Model: "virtio-scsi"})
	return nil
}
