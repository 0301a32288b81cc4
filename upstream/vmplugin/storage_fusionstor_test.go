package vmplugin

import (
	"errors"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func nbdSrc(name string) *libvirtxml.DomainDiskSource {
	return &libvirtxml.DomainDiskSource{Network: &libvirtxml.DomainDiskSourceNetwork{
		Protocol: "nbd", Name: name, Hosts: []libvirtxml.DomainDiskSourceHost{{Transport: "unix", Socket: "/tmp/nbd-socket"}},
	}}
}

func fusionRoot(f func(*VolumeTO)) func(*StartVmCmd) {
	return func(c *StartVmCmd) {
		c.RootVolume = &VolumeTO{InstallPath: "fusionstor://pool1/vol", DeviceID: 0, DeviceType: "fusionstor", VolumeUUID: "r0",
			UseVirtio: true, CacheMode: "none", WWN: "0x000f000000000000"}
		c.BootDev = []string{"cdrom"}
		if f != nil {
			f(c.RootVolume)
		}
	}
}

func TestFusionstorVolume(t *testing.T) {
	drv := &libvirtxml.DomainDiskDriver{Cache: "none", Name: "qemu", IO: "native", Type: "raw"}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
		want libvirtxml.DomainDisk
	}{
		{"useVirtio: VirtioFusionstor", cmdWith(fusionRoot(nil)), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: nbdSrc("pool1/vol"), Driver: drv, Target: diskTarget("vda", "virtio")}},
		{"useVirtio false: IdeFusionstor", cmdWith(fusionRoot(func(v *VolumeTO) { v.UseVirtio = false })), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: nbdSrc("pool1/vol"), Driver: drv, Target: diskTarget("hda", "ide")}},
		{"useVirtio false on aarch64: scsi", cmdWith(fusionRoot(func(v *VolumeTO) { v.UseVirtio = false })), cfgArm64,
			libvirtxml.DomainDisk{Device: "disk", Source: nbdSrc("pool1/vol"), Driver: drv, Target: diskTarget("sda", "scsi")}},
		{"useVirtioSCSI: no drive address", cmdWith(fusionRoot(func(v *VolumeTO) { v.UseVirtioSCSI = true; v.Shareable = true })), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: nbdSrc("pool1/vol"), Driver: drv, Target: diskTarget("sda", "scsi"),
				WWN: "0x000f000000000000", Shareable: &libvirtxml.DomainDiskShareable{}}},
		{"installPath lstrip semantics", cmdWith(fusionRoot(func(v *VolumeTO) { v.InstallPath = "fusionstor:fpool/vol" })), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: nbdSrc("pool/vol"), Driver: drv, Target: diskTarget("vda", "virtio")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeVolumes, tc.cmd, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{tc.want}}))
		})
	}
	t.Run("format failure", func(t *testing.T) {
		boom := errors.New("lichd not running")
		h := newFakeHost()
		h.err = map[string]error{"FusionstorFormat": boom}
		if _, err := runStep(t, MakeVolumes, cmdWith(fusionRoot(nil)), cfgX86, h); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}
