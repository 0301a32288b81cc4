package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeVideo(t *testing.T) {
	video := func(typ string) libvirtxml.DomainVideo {
		return libvirtxml.DomainVideo{Model: libvirtxml.DomainVideoModel{Type: typ}}
	}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
		want []libvirtxml.DomainVideo
	}{
		{"videoType cirrus", baseCmd(), cfgX86, []libvirtxml.DomainVideo{video("cirrus")}},
		{"videoType vga ignores VDIMonitorNumber", cmdWith(func(c *StartVmCmd) { c.VideoType = "vga"; c.VDIMonitorNumber = 3 }), cfgX86, []libvirtxml.DomainVideo{video("vga")}},
		{"videoType qxl, one card per VDIMonitorNumber", cmdWith(func(c *StartVmCmd) { c.VideoType = "qxl"; c.VDIMonitorNumber = 3 }), cfgX86,
			[]libvirtxml.DomainVideo{video("qxl"), video("qxl"), video("qxl")}},
		{"videoType qxl, VDIMonitorNumber 0", cmdWith(func(c *StartVmCmd) { c.VideoType = "qxl"; c.VDIMonitorNumber = 0 }), cfgX86, nil},
		{"aarch64 is always virtio", cmdWith(func(c *StartVmCmd) { c.VideoType = "qxl"; c.VDIMonitorNumber = 2 }), cfgArm64, []libvirtxml.DomainVideo{video("virtio")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeVideo, tc.cmd, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{Videos: tc.want}))
		})
	}
}
