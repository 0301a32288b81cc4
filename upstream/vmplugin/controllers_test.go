package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeControllers(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
	}{
		{"arch x86_64", baseCmd(), cfgX86},
		{"arch aarch64", baseCmd(), cfgArm64},
		{"usbRedirect does not change it", cmdWith(func(c *StartVmCmd) { c.UsbRedirect = "true" }), cfgX86},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeControllers, tc.cmd, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{
				Controllers: []libvirtxml.DomainController{{Type: "scsi", Model: "virtio-scsi"}},
			}))
		})
	}
}
