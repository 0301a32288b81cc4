package vmplugin

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// The seed's lichbd.get_protocol() always answers "nbd" at this era; the
// lichbd and sheepdog branches are unreachable and not ported.
const (
	fusionstorProtocol = "nbd"
	nbdSocket          = "/tmp/nbd-socket"
)

// nbdSource is the Fusionstor <source>. The seed writes the socket as
// <host name="unix" port="/tmp/nbd-socket"/>, which libvirt refuses ("failed
// to parse port number"); the schema's form for the same socket is
// transport="unix" socket=... (see the deviation table in package upstream).
func nbdSource(name string) *libvirtxml.DomainDiskSource {
	return &libvirtxml.DomainDiskSource{Network: &libvirtxml.DomainDiskSourceNetwork{
		Protocol: fusionstorProtocol,
		Name:     name,
		Hosts:    []libvirtxml.DomainDiskSourceHost{{Transport: "unix", Socket: nbdSocket}},
	}}
}

// fusionstorVolume is fusionstor_volume: VirtioSCSIFusionstor,
// VirtioFusionstor or IdeFusionstor, all with the image format that
// lichbd reports and native AIO.
func fusionstorVolume(c *BuildContext, letter string, r volumeRef) (*libvirtxml.DomainDisk, error) {
	v := r.v
	path := stripFusionstorPrefix(v.InstallPath)
	format, err := c.Host.FusionstorFormat(c.Ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s.installPath: fusionstor format: %w", r.field, err)
	}
	disk := &libvirtxml.DomainDisk{
		Device: "disk",
		Source: nbdSource(path),
		Driver: &libvirtxml.DomainDiskDriver{Cache: "none", Name: "qemu", IO: "native", Type: format},
	}
	switch {
	case v.UseVirtioSCSI:
		// Unlike VirtioSCSICeph, no drive address: libvirt assigns the unit.
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "scsi"}
		disk.WWN = v.WWN
		if v.Shareable {
			disk.Shareable = &libvirtxml.DomainDiskShareable{}
		}
	case v.UseVirtio:
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "vd" + letter, Bus: "virtio"}
	case c.IsAarch64():
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "scsi"}
	default:
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "hd" + letter, Bus: "ide"}
	}
	return disk, nil
}

// isoFusionstor is IsoFusionstor: the ISO's image name without the
// snapshot part after '@', exported over the same nbd socket, no auth.
func isoFusionstor(c *BuildContext, iso *IsoTO, slot cdromSlot) libvirtxml.DomainDisk {
	name, _, _ := strings.Cut(stripFusionstorPrefix(iso.Path), "@")
	disk := libvirtxml.DomainDisk{Device: "cdrom", Source: nbdSource(name)}
	slot.place(c, &disk)
	disk.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
	return disk
}
