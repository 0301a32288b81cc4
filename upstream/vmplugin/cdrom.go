package vmplugin

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// cdromSlot is EmptyCdromConfig: where one cdrom sits.
type cdromSlot struct {
	targetDev string
	bus, unit uint
}

// ISO slots (Vm.ISO_DEVICE_LETTERS "cde"): IDE bus 0 unit 0 belongs to the
// root disk, so the three cdroms take 0/1, 1/0 and 1/1.
var x86CdromSlots = []cdromSlot{
	{"hdc", 0, 1},
	{"hdd", 1, 0},
	{"hde", 1, 1},
}

// aarch64 has one cdrom slot (sdc on scsi, no fixed address): its virt
// machine cannot take several ISOs.
var aarch64CdromSlots = []cdromSlot{{}}

func (c *BuildContext) cdromSlots() []cdromSlot {
	if c.IsAarch64() {
		return aarch64CdromSlots
	}
	return x86CdromSlots
}

// place writes the target (and on x86 the drive address) of a cdrom.
func (s cdromSlot) place(c *BuildContext, disk *libvirtxml.DomainDisk) {
	if c.IsAarch64() {
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sdc", Bus: "scsi"}
		return
	}
	disk.Target = &libvirtxml.DomainDiskTarget{Dev: s.targetDev, Bus: "ide"}
	disk.Address = &libvirtxml.DomainAddress{Drive: &libvirtxml.DomainAddressDrive{Bus: uintPtr(s.bus), Unit: uintPtr(s.unit)}}
}

// fileCdrom is makeEmptyCdrom: a raw file cdrom, with the ISO as source
// when path is not empty.
func fileCdrom(c *BuildContext, slot cdromSlot, path string) libvirtxml.DomainDisk {
	disk := libvirtxml.DomainDisk{
		Device: "cdrom",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw"},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: path}},
	}
	slot.place(c, &disk)
	disk.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
	return disk
}

// MakeCdrom is make_cdrom: every slot gets a cdrom, so ISOs can be
// inserted later. The ISOs come first, in bootIso order, then the empty
// slots in ascending order.
func MakeCdrom(c *BuildContext) error {
	devs := c.Devices()
	slots := c.cdromSlots()
	if len(c.Cmd.BootIso) == 0 {
		for _, s := range slots {
			devs.Disks = append(devs.Disks, fileCdrom(c, s, ""))
		}
		return nil
	}
	used := make([]bool, len(slots))
	for i := range c.Cmd.BootIso {
		iso := &c.Cmd.BootIso[i]
		// Python indexing: a negative deviceId picks a slot from the end
		// (and leaves its own number "free", so that slot appears twice).
		idx, ok := pyIndex(iso.DeviceID, len(slots))
		if !ok {
			return fmt.Errorf("bootIso[%d].deviceId: %d is out of range, only %d cdrom slots (list index out of range)", i, iso.DeviceID, len(slots))
		}
		if iso.DeviceID >= 0 {
			used[iso.DeviceID] = true
		}
		slot := slots[idx]
		switch {
		case strings.HasPrefix(iso.Path, "ceph"):
			devs.Disks = append(devs.Disks, isoCeph(c, iso, slot))
		case strings.HasPrefix(iso.Path, "fusionstor"):
			devs.Disks = append(devs.Disks, isoFusionstor(c, iso, slot))
		default:
			devs.Disks = append(devs.Disks, fileCdrom(c, slot, iso.Path))
		}
	}
	for i, s := range slots {
		if !used[i] {
			devs.Disks = append(devs.Disks, fileCdrom(c, s, ""))
		}
	}
	return nil
}
