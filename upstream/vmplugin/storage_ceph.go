package vmplugin

import (
	"fmt"
	"strconv"

	"libvirt.org/go/libvirtxml"
)

// cephUser is the cephx user every seed Ceph disk authenticates as.
const cephUser = "zstack"

// rbdSource is the <source protocol="rbd"> shared by every Ceph builder:
// the install path minus its "ceph://" (lstrip semantics), one host per
// monitor in command order.
func rbdSource(path string, mons []MonInfo) *libvirtxml.DomainDiskSource {
	n := &libvirtxml.DomainDiskSourceNetwork{Protocol: "rbd", Name: stripCephPrefix(path)}
	for _, m := range mons {
		n.Hosts = append(n.Hosts, libvirtxml.DomainDiskSourceHost{Name: m.Hostname, Port: strconv.Itoa(m.Port)})
	}
	return &libvirtxml.DomainDiskSource{Network: n}
}

// cephAuth is <auth username="zstack"><secret type="ceph" uuid=...>.
func cephAuth(secretUUID string) *libvirtxml.DomainDiskAuth {
	return &libvirtxml.DomainDiskAuth{
		Username: cephUser,
		Secret:   &libvirtxml.DomainDiskSecret{Type: "ceph", UUID: secretUUID},
	}
}

// cephDisk is what VirtioCeph, IdeCeph and VirtioSCSICeph share: source,
// and auth only when the pool uses cephx (secretUuid set).
func cephDisk(v *VolumeTO) *libvirtxml.DomainDisk {
	disk := &libvirtxml.DomainDisk{Device: "disk", Source: rbdSource(v.InstallPath, v.MonInfo)}
	if v.SecretUUID != "" {
		disk.Auth = cephAuth(v.SecretUUID)
	}
	return disk
}

// cephVolume is ceph_volume: VirtioSCSICeph, VirtioCeph, or for non-virtio
// guests IdeCeph (x86) / ScsiCeph (aarch64, which has no IDE). Ceph disks
// carry no <driver>: QEMU probes rbd as raw and the cache stays default.
func cephVolume(c *BuildContext, letter string, r volumeRef) (*libvirtxml.DomainDisk, error) {
	v := r.v
	switch {
	case v.UseVirtioSCSI:
		disk := cephDisk(v)
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "scsi"}
		disk.WWN = v.WWN
		var err error
		if disk.Address, err = driveUnit(v, r.field); err != nil {
			return nil, err
		}
		// VirtioSCSICeph writes <shareable/> and make_volumes writes a second
		// one; a Domain holds one (see the deviation table in package upstream).
		if v.Shareable {
			disk.Shareable = &libvirtxml.DomainDiskShareable{}
		}
		return disk, nil
	case v.UseVirtio:
		disk := cephDisk(v)
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "vd" + letter, Bus: "virtio"}
		return disk, nil
	case c.IsAarch64():
		disk := &libvirtxml.DomainDisk{Device: "disk", Source: rbdSource(v.InstallPath, v.MonInfo), Auth: cephAuth(v.SecretUUID)}
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "scsi"}
		// ScsiCeph writes auth unconditionally: without a secret uuid the
		// seed's XML cannot be serialized (None attribute) or defined. The
		// seed only fails when it serializes, after every step, so the
		// disk is still built and the error comes last (serializationError).
		if v.SecretUUID == "" {
			return disk, serializationError{fmt.Errorf("%s.secretUuid: required for a non-virtio ceph volume on aarch64 (ScsiCeph always writes <auth>)", r.field)}
		}
		return disk, nil
	default:
		disk := cephDisk(v)
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "hd" + letter, Bus: "ide"}
		return disk, nil
	}
}

// isoCeph is IsoCeph: a Ceph ISO in a cdrom slot, read-only.
func isoCeph(c *BuildContext, iso *IsoTO, slot cdromSlot) libvirtxml.DomainDisk {
	disk := libvirtxml.DomainDisk{Device: "cdrom", Source: rbdSource(iso.Path, iso.MonInfo)}
	if iso.SecretUUID != "" {
		disk.Auth = cephAuth(iso.SecretUUID)
	}
	slot.place(c, &disk)
	disk.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
	return disk
}
