package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func ideAddr(bus, unit uint) *libvirtxml.DomainAddress {
	return &libvirtxml.DomainAddress{Drive: &libvirtxml.DomainAddressDrive{Bus: uintPtr(bus), Unit: uintPtr(unit)}}
}

func emptyCdrom(dev string, addr *libvirtxml.DomainAddress, bus string) libvirtxml.DomainDisk {
	return libvirtxml.DomainDisk{
		Device: "cdrom",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw"},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{}},
		Target: diskTarget(dev, bus), Address: addr, ReadOnly: &libvirtxml.DomainDiskReadOnly{},
	}
}

func isoCdrom(path, dev string, addr *libvirtxml.DomainAddress, bus string) libvirtxml.DomainDisk {
	d := emptyCdrom(dev, addr, bus)
	d.Source.File.File = path
	return d
}

func TestMakeCdrom(t *testing.T) {
	hdc, hdd, hde := emptyCdrom("hdc", ideAddr(0, 1), "ide"), emptyCdrom("hdd", ideAddr(1, 0), "ide"), emptyCdrom("hde", ideAddr(1, 1), "ide")
	cephISO := libvirtxml.DomainDisk{Device: "cdrom", Source: rbdSrc("pri-c-1/img@img"), Auth: zstackAuth,
		Target: diskTarget("hdd", "ide"), Address: ideAddr(1, 0), ReadOnly: &libvirtxml.DomainDiskReadOnly{}}
	fusionISO := libvirtxml.DomainDisk{Device: "cdrom", Source: nbdSrc("pool1/iso"),
		Target: diskTarget("hdc", "ide"), Address: ideAddr(0, 1), ReadOnly: &libvirtxml.DomainDiskReadOnly{}}
	armCephISO := libvirtxml.DomainDisk{Device: "cdrom", Source: rbdSrc("pri-c-1/img@img"),
		Target: diskTarget("sdc", "scsi"), ReadOnly: &libvirtxml.DomainDiskReadOnly{}}

	for _, tc := range []struct {
		name    string
		cmd     *StartVmCmd
		cfg     Config
		want    []libvirtxml.DomainDisk
		wantErr string
	}{
		{"bootIso empty: three empty slots", baseCmd(), cfgX86, []libvirtxml.DomainDisk{hdc, hdd, hde}, ""},
		{"bootIso empty on aarch64: one sdc", baseCmd(), cfgArm64, []libvirtxml.DomainDisk{emptyCdrom("sdc", nil, "scsi")}, ""},
		{"bootIso in its order, then empty slots ascending", cmdWith(func(c *StartVmCmd) {
			c.BootIso = []IsoTO{{Path: "/iso/two.iso", DeviceID: 2}, {Path: "/iso/zero.iso", DeviceID: 0}}
		}), cfgX86, []libvirtxml.DomainDisk{isoCdrom("/iso/two.iso", "hde", ideAddr(1, 1), "ide"), isoCdrom("/iso/zero.iso", "hdc", ideAddr(0, 1), "ide"), hdd}, ""},
		{"bootIso ceph path", cmdWith(func(c *StartVmCmd) {
			c.BootIso = []IsoTO{{Path: "ceph://pri-c-1/img@img", DeviceID: 1, SecretUUID: testSecret, MonInfo: testMons}}
		}), cfgX86, []libvirtxml.DomainDisk{cephISO, hdc, hde}, ""},
		{"bootIso fusionstor path drops the snapshot", cmdWith(func(c *StartVmCmd) {
			c.BootIso = []IsoTO{{Path: "fusionstor://pool1/iso@snap", DeviceID: 0}}
		}), cfgX86, []libvirtxml.DomainDisk{fusionISO, hdd, hde}, ""},
		{"bootIso ceph on aarch64 without secretUuid", cmdWith(func(c *StartVmCmd) {
			c.BootIso = []IsoTO{{Path: "ceph://pri-c-1/img@img", DeviceID: 0, MonInfo: testMons}}
		}), cfgArm64, []libvirtxml.DomainDisk{armCephISO}, ""},
		{"bootIso deviceId -1 is the last slot, which then also stays empty", cmdWith(func(c *StartVmCmd) {
			c.BootIso = []IsoTO{{Path: "/iso/x.iso", DeviceID: -1}}
		}), cfgX86, []libvirtxml.DomainDisk{isoCdrom("/iso/x.iso", "hde", ideAddr(1, 1), "ide"), hdc, hdd, hde}, ""},
		{"bootIso deviceId 3", cmdWith(func(c *StartVmCmd) { c.BootIso = []IsoTO{{Path: "/a.iso"}, {Path: "/b.iso", DeviceID: 3}} }), cfgX86, nil,
			"bootIso[1].deviceId: 3 is out of range, only 3 cdrom slots (list index out of range)"},
		{"bootIso deviceId 1 on aarch64", cmdWith(func(c *StartVmCmd) { c.BootIso = []IsoTO{{Path: "/a.iso", DeviceID: 1}} }), cfgArm64, nil,
			"bootIso[0].deviceId: 1 is out of range, only 1 cdrom slots (list index out of range)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeCdrom, tc.cmd, tc.cfg, nil)
			checkStep(t, got, err, tc.wantErr, devicesOnly(libvirtxml.DomainDeviceList{Disks: tc.want}))
		})
	}
}
