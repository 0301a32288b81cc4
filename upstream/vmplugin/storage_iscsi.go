package vmplugin

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// parseISCSIPath splits an iscsi://host:port/target/lun install path the
// seed's way: lstrip('iscsi://') (a character set, so a host starting with
// i, s, c, ':' or '/' loses those characters), then exactly three
// '/'-separated parts and a portal of exactly host:port. Where Python's
// tuple unpacking would raise, this names the field.
func parseISCSIPath(installPath, field string) (ISCSITarget, error) {
	parts := strings.Split(pyLstrip(installPath, "iscsi://"), "/")
	if len(parts) != 3 {
		return ISCSITarget{}, fmt.Errorf("%s: %q is not iscsi://host:port/target/lun (%d '/'-separated parts after the scheme, want 3)", field, installPath, len(parts))
	}
	portal := strings.Split(parts[0], ":")
	if len(portal) != 2 {
		return ISCSITarget{}, fmt.Errorf("%s: portal %q of %q is not host:port", field, parts[0], installPath)
	}
	return ISCSITarget{Hostname: portal[0], Port: portal[1], Target: parts[1], Lun: parts[2]}, nil
}

// iscsiVolume is iscsibased_volume: VirtioIscsi when the volume is virtio,
// else BlkIscsi.
func iscsiVolume(c *BuildContext, letter string, r volumeRef) (*libvirtxml.DomainDisk, error) {
	v := r.v
	t, err := parseISCSIPath(v.InstallPath, r.field+".installPath")
	if err != nil {
		return nil, err
	}
	t.ChapUsername, t.ChapPassword = v.ChapUsername, v.ChapPassword
	if v.UseVirtio {
		return virtioISCSI(c, letter, r, t)
	}
	return blkISCSI(c, letter, r, t)
}

// blkISCSI is BlkIscsi: the host logs in and the guest gets the block
// device as a SCSI LUN. The target has no bus: libvirt derives scsi from
// the sd prefix.
func blkISCSI(c *BuildContext, letter string, r volumeRef, t ISCSITarget) (*libvirtxml.DomainDisk, error) {
	dev, err := c.Host.ISCSILogin(c.Ctx, t)
	if err != nil {
		return nil, fmt.Errorf("%s: iscsi login: %w", r.field, err)
	}
	return &libvirtxml.DomainDisk{
		Device: "lun",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw", Cache: "none"},
		Source: &libvirtxml.DomainDiskSource{Block: &libvirtxml.DomainDiskSourceBlock{Dev: dev}},
		Target: &libvirtxml.DomainDiskTarget{Dev: "sd" + letter},
	}, nil
}

// virtioISCSI is VirtioIscsi: QEMU's own iSCSI initiator, with a CHAP
// secret defined in libvirt when both credentials are given.
func virtioISCSI(c *BuildContext, letter string, r volumeRef, t ISCSITarget) (*libvirtxml.DomainDisk, error) {
	disk := &libvirtxml.DomainDisk{
		Device: "disk",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw", Cache: "none"},
		Source: &libvirtxml.DomainDiskSource{Network: &libvirtxml.DomainDiskSourceNetwork{
			Protocol: "iscsi",
			Name:     t.Target + "/" + t.Lun,
			Hosts:    []libvirtxml.DomainDiskSourceHost{{Name: t.Hostname, Port: t.Port}},
		}},
		Target:    &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "scsi"},
		Shareable: &libvirtxml.DomainDiskShareable{},
	}
	if t.ChapUsername != "" && t.ChapPassword != "" {
		uuid, err := c.Host.ISCSISecret(c.Ctx, r.v.VolumeUUID, t.Target, t.ChapPassword)
		if err != nil {
			return nil, fmt.Errorf("%s: iscsi secret: %w", r.field, err)
		}
		disk.Auth = &libvirtxml.DomainDiskAuth{
			Username: t.ChapUsername,
			Secret:   &libvirtxml.DomainDiskSecret{Type: "iscsi", UUID: uuid},
		}
	}
	return disk, nil
}
