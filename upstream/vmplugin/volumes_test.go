package vmplugin

import (
	"errors"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// fileDisk is the file-based volume the seed writes, before the target.
func fileDisk(path, format, cache string) libvirtxml.DomainDisk {
	return libvirtxml.DomainDisk{
		Device: "disk", Snapshot: "external",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: format, Cache: cache},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: path}},
	}
}

func diskTarget(dev, bus string) *libvirtxml.DomainDiskTarget {
	return &libvirtxml.DomainDiskTarget{Dev: dev, Bus: bus}
}

func scsiUnit(u uint) *libvirtxml.DomainAddress {
	return &libvirtxml.DomainAddress{Drive: &libvirtxml.DomainAddressDrive{Controller: uintPtr(0), Unit: uintPtr(u)}}
}

func dataFile(path string, id int, f func(*VolumeTO)) VolumeTO {
	v := VolumeTO{InstallPath: path, DeviceID: id, DeviceType: "file", VolumeUUID: path, UseVirtio: true, CacheMode: "none"}
	if f != nil {
		f(&v)
	}
	return v
}

func TestMakeVolumes(t *testing.T) {
	boot := &libvirtxml.DomainDeviceBoot{Order: 1}
	root := func(tgt *libvirtxml.DomainDiskTarget, b *libvirtxml.DomainDeviceBoot) libvirtxml.DomainDisk {
		d := fileDisk("/ps/root.qcow2", "qcow2", "none")
		d.Target, d.Boot = tgt, b
		return d
	}
	disk := func(path, format string, tgt *libvirtxml.DomainDiskTarget, f func(*libvirtxml.DomainDisk)) libvirtxml.DomainDisk {
		d := fileDisk(path, format, "none")
		d.Target = tgt
		if f != nil {
			f(&d)
		}
		return d
	}
	for _, tc := range []struct {
		name    string
		cmd     *StartVmCmd
		cfg     Config
		want    []libvirtxml.DomainDisk
		wantErr string
	}{
		{"rootVolume virtio boots first from hd", baseCmd(), cfgX86, []libvirtxml.DomainDisk{root(diskTarget("vda", "virtio"), boot)}, ""},
		{"useBootMenu false: no boot order", cmdWith(func(c *StartVmCmd) { c.UseBootMenu = false }), cfgX86, []libvirtxml.DomainDisk{root(diskTarget("vda", "virtio"), nil)}, ""},
		{"bootDev cdrom: no boot order", cmdWith(func(c *StartVmCmd) { c.BootDev = []string{"cdrom", "hd"} }), cfgX86, []libvirtxml.DomainDisk{root(diskTarget("vda", "virtio"), nil)}, ""},
		{"useVirtio false is sd on ide", cmdWith(func(c *StartVmCmd) { c.RootVolume.UseVirtio = false }), cfgX86, []libvirtxml.DomainDisk{root(diskTarget("sda", "ide"), boot)}, ""},
		{"useVirtio false on aarch64 is sd on scsi", cmdWith(func(c *StartVmCmd) { c.RootVolume.UseVirtio = false }), cfgArm64, []libvirtxml.DomainDisk{root(diskTarget("sda", "scsi"), boot)}, ""},
		{"cacheMode and raw format", cmdWith(func(c *StartVmCmd) { c.RootVolume.InstallPath = "/ps/root.img"; c.RootVolume.CacheMode = "writeback" }), cfgX86,
			[]libvirtxml.DomainDisk{func() libvirtxml.DomainDisk {
				d := fileDisk("/ps/root.img", "raw", "writeback")
				d.Target, d.Boot = diskTarget("vda", "virtio"), boot
				return d
			}()}, ""},
		{"dataVolumes sorted by deviceId, letters skip c", cmdWith(func(c *StartVmCmd) {
			c.DataVolumes = []VolumeTO{dataFile("/ps/d3.qcow2", 3, nil), dataFile("/ps/d1.qcow2", 1, nil), dataFile("/ps/d2.qcow2", 2, nil)}
		}), cfgX86, []libvirtxml.DomainDisk{
			root(diskTarget("vda", "virtio"), boot),
			disk("/ps/d1.qcow2", "qcow2", diskTarget("vdb", "virtio"), nil),
			disk("/ps/d2.qcow2", "qcow2", diskTarget("vdd", "virtio"), nil),
			disk("/ps/d3.qcow2", "qcow2", diskTarget("vde", "virtio"), nil),
		}, ""},
		{"useVirtioSCSI letters come from the end, unit stays", cmdWith(func(c *StartVmCmd) {
			c.DataVolumes = []VolumeTO{
				dataFile("/ps/s1.raw", 1, func(v *VolumeTO) { v.UseVirtioSCSI = true; v.WWN = "0x000f000000000001"; v.Shareable = true }),
				dataFile("/ps/v2.qcow2", 2, nil),
				dataFile("/ps/s4.qcow2", 4, func(v *VolumeTO) { v.UseVirtioSCSI = true; v.WWN = "0x000f000000000004" }),
			}
		}), cfgX86, []libvirtxml.DomainDisk{
			root(diskTarget("vda", "virtio"), boot),
			disk("/ps/s1.raw", "raw", diskTarget("sdf", "scsi"), func(d *libvirtxml.DomainDisk) {
				d.WWN, d.Address, d.Shareable = "0x000f000000000001", scsiUnit(1), &libvirtxml.DomainDiskShareable{}
			}),
			disk("/ps/v2.qcow2", "qcow2", diskTarget("vdd", "virtio"), nil),
			disk("/ps/s4.qcow2", "qcow2", diskTarget("sdb", "scsi"), func(d *libvirtxml.DomainDisk) { d.WWN, d.Address = "0x000f000000000004", scsiUnit(4) }),
		}, ""},
		{"deviceId -1 is the last letter, as in Python", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{dataFile("/ps/n.qcow2", -1, nil)} }), cfgX86,
			[]libvirtxml.DomainDisk{disk("/ps/n.qcow2", "qcow2", diskTarget("vdz", "virtio"), nil), root(diskTarget("vda", "virtio"), boot)}, ""},
		{"deviceId 24 is the last letter", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{dataFile("/ps/z.qcow2", 24, nil)} }), cfgX86,
			[]libvirtxml.DomainDisk{root(diskTarget("vda", "virtio"), boot), disk("/ps/z.qcow2", "qcow2", diskTarget("vdz", "virtio"), nil)}, ""},
		{"VolumeQos", cmdWith(func(c *StartVmCmd) {
			c.Addons.VolumeQos = map[string]VolumeQos{"r0": {TotalBandwidth: 1048576, TotalIops: 200}}
		}), cfgX86, []libvirtxml.DomainDisk{func() libvirtxml.DomainDisk {
			d := root(diskTarget("vda", "virtio"), boot)
			d.IOTune = &libvirtxml.DomainDiskIOTune{TotalBytesSec: 1048576, ReadIopsSec: 200, WriteIopsSec: 200}
			return d
		}()}, ""},
		{"VolumeQos iops only", cmdWith(func(c *StartVmCmd) { c.Addons.VolumeQos = map[string]VolumeQos{"r0": {TotalIops: 7}} }), cfgX86,
			[]libvirtxml.DomainDisk{func() libvirtxml.DomainDisk {
				d := root(diskTarget("vda", "virtio"), boot)
				d.IOTune = &libvirtxml.DomainDiskIOTune{ReadIopsSec: 7, WriteIopsSec: 7}
				return d
			}()}, ""},
		{"VolumeQos of another volume", cmdWith(func(c *StartVmCmd) { c.Addons.VolumeQos = map[string]VolumeQos{"x": {TotalIops: 7}} }), cfgX86,
			[]libvirtxml.DomainDisk{root(diskTarget("vda", "virtio"), boot)}, ""},
		{"NativeAio sets io native on every driver", cmdWith(func(c *StartVmCmd) {
			c.Addons.NativeAio = true
			c.DataVolumes = []VolumeTO{dataFile("/ps/d1.raw", 1, nil)}
		}), cfgX86, []libvirtxml.DomainDisk{
			func() libvirtxml.DomainDisk {
				d := root(diskTarget("vda", "virtio"), boot)
				d.Driver.IO = "native"
				return d
			}(),
			disk("/ps/d1.raw", "raw", diskTarget("vdb", "virtio"), func(d *libvirtxml.DomainDisk) { d.Driver.IO = "native" }),
		}, ""},
		{"NativeAio with VolumeQos", cmdWith(func(c *StartVmCmd) {
			c.Addons = &Addons{NativeAio: true, VolumeQos: map[string]VolumeQos{"r0": {TotalIops: 7}}}
		}), cfgX86, []libvirtxml.DomainDisk{func() libvirtxml.DomainDisk {
			d := root(diskTarget("vda", "virtio"), boot)
			d.Driver.IO = "native"
			d.IOTune = &libvirtxml.DomainDiskIOTune{ReadIopsSec: 7, WriteIopsSec: 7}
			return d
		}()}, ""},
		{"NativeAio false", cmdWith(func(c *StartVmCmd) { c.Addons.NativeAio = false }), cfgX86,
			[]libvirtxml.DomainDisk{root(diskTarget("vda", "virtio"), boot)}, ""},
		{"NativeAio leaves a ceph disk without driver alone", cmdWith(func(c *StartVmCmd) {
			c.Addons.NativeAio = true
			c.RootVolume = &VolumeTO{InstallPath: "ceph://pool/r0", DeviceType: "ceph", VolumeUUID: "r0", UseVirtio: true}
		}), cfgX86, []libvirtxml.DomainDisk{{
			Device: "disk",
			Source: &libvirtxml.DomainDiskSource{Network: &libvirtxml.DomainDiskSourceNetwork{Protocol: "rbd", Name: "pool/r0"}},
			Target: diskTarget("vda", "virtio"), Boot: boot,
		}}, ""},
		{"deviceId 25", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{dataFile("/ps/x.qcow2", 25, nil)} }), cfgX86, nil,
			"dataVolumes[0].deviceId: exceeds max disk limit, it's 25 but only 26 allowed"},
		{"deviceId -26", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{dataFile("/ps/x.qcow2", -26, nil)} }), cfgX86, nil,
			"dataVolumes[0].deviceId: -26: string index out of range"},
		{"deviceType unknown", cmdWith(func(c *StartVmCmd) {
			c.DataVolumes = []VolumeTO{dataFile("/ps/x", 1, func(v *VolumeTO) { v.DeviceType = "nfs" })}
		}), cfgX86, nil,
			"dataVolumes[0].deviceType: unknown volume deviceType: nfs"},
		{"rootVolume missing", cmdWith(func(c *StartVmCmd) { c.RootVolume = nil }), cfgX86, nil, "rootVolume: missing"},
		{"useVirtioSCSI with a negative deviceId has no unit", cmdWith(func(c *StartVmCmd) {
			c.DataVolumes = []VolumeTO{dataFile("/ps/x", -2, func(v *VolumeTO) { v.UseVirtioSCSI = true })}
		}), cfgX86, nil, "dataVolumes[0].deviceId: -2 cannot be a drive unit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeVolumes, tc.cmd, tc.cfg, nil)
			checkStep(t, got, err, tc.wantErr, devicesOnly(libvirtxml.DomainDeviceList{Disks: tc.want}))
		})
	}
}

func TestMakeVolumesStableSort(t *testing.T) {
	// Two volumes claiming deviceId 0 keep root-then-data order, as
	// Python's stable list.sort does; both get the boot order.
	cmd := cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{dataFile("/ps/dup.qcow2", 0, nil)} })
	got, err := runStep(t, MakeVolumes, cmd, cfgX86, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := got.Devices.Disks
	if len(d) != 2 || d[0].Source.File.File != "/ps/root.qcow2" || d[1].Source.File.File != "/ps/dup.qcow2" {
		t.Fatalf("order = %+v", d)
	}
	if d[0].Boot == nil || d[1].Boot == nil {
		t.Errorf("both deviceId 0 volumes get the boot order, as in the seed")
	}
}

func TestMakeVolumesImageFormatError(t *testing.T) {
	boom := errors.New("unknown format[vmdk]")
	h := newFakeHost()
	h.err = map[string]error{"ImageFormat": boom}
	cmd := cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{dataFile("/ps/d.qcow2", 1, nil)} })
	_, err := runStep(t, MakeVolumes, cmd, cfgX86, h)
	if !errors.Is(err, boom) || err.Error() != "rootVolume.installPath: unknown format[vmdk]" {
		t.Fatalf("err = %v", err)
	}
}
