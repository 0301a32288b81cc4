package vmplugin

import (
	"context"
	"testing"

	"libvirt.org/go/libvirtxml"
)

const testSecret = "4b2e8f1a-6c3d-4e5f-9a7b-1c2d3e4f5a6b"

var testMons = []MonInfo{{Hostname: "10.0.0.31", Port: 6789}, {Hostname: "mon2", Port: 3300}}

func rbdSrc(name string) *libvirtxml.DomainDiskSource {
	return &libvirtxml.DomainDiskSource{Network: &libvirtxml.DomainDiskSourceNetwork{
		Protocol: "rbd", Name: name,
		Hosts: []libvirtxml.DomainDiskSourceHost{{Name: "10.0.0.31", Port: "6789"}, {Name: "mon2", Port: "3300"}},
	}}
}

var zstackAuth = &libvirtxml.DomainDiskAuth{Username: "zstack", Secret: &libvirtxml.DomainDiskSecret{Type: "ceph", UUID: testSecret}}

func cephRoot(f func(*VolumeTO)) func(*StartVmCmd) {
	return func(c *StartVmCmd) {
		c.RootVolume = &VolumeTO{InstallPath: "ceph://pri-v-r-1/vol", DeviceID: 0, DeviceType: "ceph", VolumeUUID: "r0",
			UseVirtio: true, CacheMode: "none", WWN: "0x000f000000000000", SecretUUID: testSecret, MonInfo: testMons}
		c.BootDev = []string{"cdrom"} // keeps <boot order> out of the rows
		if f != nil {
			f(c.RootVolume)
		}
	}
}

func TestCephVolume(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     *StartVmCmd
		cfg     Config
		want    libvirtxml.DomainDisk
		wantErr string
	}{
		{"useVirtio: VirtioCeph", cmdWith(cephRoot(nil)), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: rbdSrc("pri-v-r-1/vol"), Auth: zstackAuth, Target: diskTarget("vda", "virtio")}, ""},
		{"secretUuid empty: no auth", cmdWith(cephRoot(func(v *VolumeTO) { v.SecretUUID = "" })), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: rbdSrc("pri-v-r-1/vol"), Target: diskTarget("vda", "virtio")}, ""},
		{"installPath lstrip eats pool letters after a bare ceph:", cmdWith(cephRoot(func(v *VolumeTO) { v.InstallPath = "ceph:hpool/vol" })), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: rbdSrc("ool/vol"), Auth: zstackAuth, Target: diskTarget("vda", "virtio")}, ""},
		{"useVirtio false: IdeCeph", cmdWith(cephRoot(func(v *VolumeTO) { v.UseVirtio = false })), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: rbdSrc("pri-v-r-1/vol"), Auth: zstackAuth, Target: diskTarget("hda", "ide")}, ""},
		{"useVirtio false on aarch64: ScsiCeph", cmdWith(cephRoot(func(v *VolumeTO) { v.UseVirtio = false })), cfgArm64,
			libvirtxml.DomainDisk{Device: "disk", Source: rbdSrc("pri-v-r-1/vol"), Auth: zstackAuth, Target: diskTarget("sda", "scsi")}, ""},
		{"useVirtio false on aarch64 without secretUuid", cmdWith(cephRoot(func(v *VolumeTO) { v.UseVirtio = false; v.SecretUUID = "" })), cfgArm64,
			libvirtxml.DomainDisk{}, "rootVolume.secretUuid: required for a non-virtio ceph volume on aarch64 (ScsiCeph always writes <auth>)"},
		{"useVirtio false on aarch64 without secretUuid, then dataVolumes deviceId 25: the limit error wins", cmdWith(cephRoot(func(v *VolumeTO) { v.UseVirtio = false; v.SecretUUID = "" })).withData(dataFile("/ps/d25.qcow2", 25, nil)), cfgArm64,
			libvirtxml.DomainDisk{}, "dataVolumes[0].deviceId: exceeds max disk limit, it's 25 but only 26 allowed"},
		{"useVirtioSCSI shareable: VirtioSCSICeph", cmdWith(cephRoot(func(v *VolumeTO) { v.UseVirtioSCSI = true; v.Shareable = true })), cfgX86,
			libvirtxml.DomainDisk{Device: "disk", Source: rbdSrc("pri-v-r-1/vol"), Auth: zstackAuth, Target: diskTarget("sda", "scsi"),
				WWN: "0x000f000000000000", Address: scsiUnit(0), Shareable: &libvirtxml.DomainDiskShareable{}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeVolumes, tc.cmd, tc.cfg, nil)
			checkStep(t, got, err, tc.wantErr, devicesOnly(libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{tc.want}}))
		})
	}
}

// withData appends data volumes to c.
func (c *StartVmCmd) withData(vs ...VolumeTO) *StartVmCmd {
	c.DataVolumes = append(c.DataVolumes, vs...)
	return c
}

// TestScsiCephWithoutSecretFailsLast: the seed meets a ScsiCeph disk's
// missing secretUuid only when it serializes the tree, so any error a
// later volume or step raises is the one it reports; Build does the same.
func TestScsiCephWithoutSecretFailsLast(t *testing.T) {
	noSecret := cephRoot(func(v *VolumeTO) { v.UseVirtio = false; v.SecretUUID = "" })
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want string
	}{
		{"rootVolume.secretUuid alone", cmdWith(noSecret),
			"make_volumes: rootVolume.secretUuid: required for a non-virtio ceph volume on aarch64 (ScsiCeph always writes <auth>)"},
		{"dataVolumes deviceId 25 after it", cmdWith(noSecret).withData(dataFile("/ps/d25.qcow2", 25, nil)),
			"make_volumes: dataVolumes[0].deviceId: exceeds max disk limit, it's 25 but only 26 allowed"},
		{"bootIso deviceId 1 in make_cdrom", cmdWith(func(c *StartVmCmd) { noSecret(c); c.BootIso = []IsoTO{{Path: "/i.iso", DeviceID: 1}} }),
			"make_cdrom: bootIso[0].deviceId: 1 is out of range, only 1 cdrom slots (list index out of range)"},
		{"addons.usbDevice in make_addons", cmdWith(func(c *StartVmCmd) { noSecret(c); c.Addons.UsbDevice = []string{"1:2:1d6b:0002"} }),
			"make_addons: addons.usbDevice[0]: cannot find usb device 1:2:1d6b:0002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), tc.cmd, cfgArm64, newFakeHost())
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStripCephPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"ceph://pri-v-r-1/vol":    "pri-v-r-1/vol",
		"ceph://pool/img@snap":    "pool/img@snap",
		"ceph:pool/img":           "ool/img",
		"ceph:///pool/img":        "pool/img",
		"ceph://echo/img":         "echo/img",
		"pool/img":                "ool/img",
		"hpc-pool/img":            "-pool/img",
		"fusionstor://pool1/x@s1": "fusionstor://pool1/x@s1",
	} {
		if got := stripCephPrefix(in); got != want {
			t.Errorf("stripCephPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}
