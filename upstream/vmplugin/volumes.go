package vmplugin

import (
	"errors"
	"fmt"
	"sort"

	"libvirt.org/go/libvirtxml"
)

// DeviceLetters is Vm.DEVICE_LETTERS: the disk letter of each deviceId.
// There is no 'c': that letter is kept for the first cdrom (hdc).
const DeviceLetters = "abdefghijklmnopqrstuvwxyz"

// Volume device types (VolumeTO.deviceType).
const (
	DeviceTypeFile       = "file"
	DeviceTypeISCSI      = "iscsi"
	DeviceTypeCeph       = "ceph"
	DeviceTypeFusionstor = "fusionstor"
)

// volumeRef is a volume with the JSON path of the field it came from, so
// errors can name it (rootVolume, dataVolumes[2]).
type volumeRef struct {
	v     *VolumeTO
	field string
}

// MakeVolumes is make_volumes: the root volume and the data volumes,
// sorted by deviceId, each through the builder of its deviceType.
func MakeVolumes(c *BuildContext) error {
	cmd := c.Cmd
	if cmd.RootVolume == nil {
		return errors.New("rootVolume: missing")
	}
	vols := make([]volumeRef, 0, 1+len(cmd.DataVolumes))
	vols = append(vols, volumeRef{cmd.RootVolume, "rootVolume"})
	for i := range cmd.DataVolumes {
		vols = append(vols, volumeRef{&cmd.DataVolumes[i], fmt.Sprintf("dataVolumes[%d]", i)})
	}
	// list.sort is stable; equal deviceIds keep root-then-data order.
	sort.SliceStable(vols, func(i, j int) bool { return vols[i].v.DeviceID < vols[j].v.DeviceID })

	// Virtio-SCSI volumes take their letters from the end of this list (the
	// seed pops it), so they come out in reverse while their unit stays
	// their own deviceId.
	var scsiIDs []int
	for _, r := range vols {
		if r.v.UseVirtioSCSI {
			scsiIDs = append(scsiIDs, r.v.DeviceID)
		}
	}

	devs := c.Devices()
	var late error // the first serializationError, returned after the loop
	for _, r := range vols {
		v := r.v
		if v.DeviceID >= len(DeviceLetters) {
			return fmt.Errorf("%s.deviceId: exceeds max disk limit, it's %d but only 26 allowed", r.field, v.DeviceID)
		}
		letter, err := deviceLetter(v.DeviceID, r.field+".deviceId")
		if err != nil {
			return err
		}
		if v.UseVirtioSCSI {
			id := scsiIDs[len(scsiIDs)-1]
			scsiIDs = scsiIDs[:len(scsiIDs)-1]
			if letter, err = deviceLetter(id, r.field+".deviceId"); err != nil {
				return err
			}
		}

		var disk *libvirtxml.DomainDisk
		switch v.DeviceType {
		case DeviceTypeFile:
			disk, err = fileVolume(c, letter, r)
		case DeviceTypeISCSI:
			disk, err = iscsiVolume(c, letter, r)
		case DeviceTypeCeph:
			disk, err = cephVolume(c, letter, r)
		case DeviceTypeFusionstor:
			disk, err = fusionstorVolume(c, letter, r)
		default:
			return fmt.Errorf("%s.deviceType: unknown volume deviceType: %s", r.field, v.DeviceType)
		}
		if se := (serializationError{}); errors.As(err, &se) {
			if late == nil {
				late = err
			}
		} else if err != nil {
			return err
		}

		// Booting from hd marks the root disk instead of writing <os><boot>
		// (MakeOS does that only for cdrom boots); libvirt refuses both.
		if v.DeviceID == 0 && len(cmd.BootDev) > 0 && cmd.BootDev[0] == "hd" && cmd.UseBootMenu {
			disk.Boot = &libvirtxml.DomainDeviceBoot{Order: 1}
		}
		if disk.IOTune, err = volumeIOTune(cmd.Addons, v.VolumeUUID); err != nil {
			return fmt.Errorf("addons.VolumeQos[%s]: %w", v.VolumeUUID, err)
		}
		volumeNativeAio(cmd.Addons, disk)
		devs.Disks = append(devs.Disks, *disk)
	}
	return late
}

// deviceLetter is DEVICE_LETTERS[id] with Python's indexing: a negative id
// counts from the end, as it does in the seed.
func deviceLetter(id int, field string) (string, error) {
	i, ok := pyIndex(id, len(DeviceLetters))
	if !ok {
		return "", fmt.Errorf("%s: %d: string index out of range", field, id)
	}
	return DeviceLetters[i : i+1], nil
}

// driveUnit is the unit of a virtio-SCSI drive address: the deviceId.
func driveUnit(v *VolumeTO, field string) (*libvirtxml.DomainAddress, error) {
	if v.DeviceID < 0 {
		return nil, fmt.Errorf("%s.deviceId: %d cannot be a drive unit", field, v.DeviceID)
	}
	return &libvirtxml.DomainAddress{Drive: &libvirtxml.DomainAddressDrive{
		Controller: uintPtr(0), Unit: uintPtr(uint(v.DeviceID)),
	}}, nil
}

// fileVolume is filebased_volume: a local image file.
func fileVolume(c *BuildContext, letter string, r volumeRef) (*libvirtxml.DomainDisk, error) {
	v := r.v
	format, err := c.Host.ImageFormat(c.Ctx, v.InstallPath)
	if err != nil {
		return nil, fmt.Errorf("%s.installPath: %w", r.field, err)
	}
	disk := &libvirtxml.DomainDisk{
		Device:   "disk",
		Snapshot: "external",
		Driver:   &libvirtxml.DomainDiskDriver{Name: "qemu", Type: format, Cache: v.CacheMode},
		Source:   &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: v.InstallPath}},
	}
	if v.Shareable {
		disk.Shareable = &libvirtxml.DomainDiskShareable{}
	}
	switch {
	case v.UseVirtioSCSI:
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "scsi"}
		disk.WWN = v.WWN
		if disk.Address, err = driveUnit(v, r.field); err != nil {
			return nil, err
		}
	case v.UseVirtio:
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "vd" + letter, Bus: "virtio"}
	case c.IsAarch64():
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "scsi"}
	default:
		disk.Target = &libvirtxml.DomainDiskTarget{Dev: "sd" + letter, Bus: "ide"}
	}
	return disk, nil
}

// volumeIOTune is volume_qos: addons.VolumeQos[volumeUuid]. totalIops
// limits reads and writes separately (the seed's choice), not their total.
func volumeIOTune(a *Addons, volumeUUID string) (*libvirtxml.DomainDiskIOTune, error) {
	if a.IsEmpty() || len(a.VolumeQos) == 0 {
		return nil, nil
	}
	qos, ok := a.VolumeQos[volumeUUID]
	if !ok || (qos.TotalBandwidth == 0 && qos.TotalIops == 0) {
		return nil, nil
	}
	if qos.TotalBandwidth < 0 {
		return nil, fmt.Errorf("totalBandwidth: %d is negative", qos.TotalBandwidth)
	}
	if qos.TotalIops < 0 {
		return nil, fmt.Errorf("totalIops: %d is negative", qos.TotalIops)
	}
	return &libvirtxml.DomainDiskIOTune{
		TotalBytesSec: uint64(qos.TotalBandwidth),
		ReadIopsSec:   uint64(qos.TotalIops),
		WriteIopsSec:  uint64(qos.TotalIops),
	}, nil
}

// volumeNativeAio is volume_native_aio: addons.NativeAio sets io="native"
// on the disk's <driver>; a disk without one (Ceph) is left as it is.
func volumeNativeAio(a *Addons, disk *libvirtxml.DomainDisk) {
	if a.IsEmpty() || !a.NativeAio || disk.Driver == nil {
		return
	}
	disk.Driver.IO = "native"
}
