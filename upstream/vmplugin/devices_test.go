package vmplugin

import (
	"errors"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeDevices(t *testing.T) {
	tablet := libvirtxml.DomainInput{Type: "tablet", Bus: "usb",
		Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(0), Port: "1"}}}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
		want libvirtxml.DomainDeviceList
	}{
		{"addons without qemuPath uses the host's", baseCmd(), cfgX86,
			libvirtxml.DomainDeviceList{Emulator: fakeQemuPath, Inputs: []libvirtxml.DomainInput{tablet}}},
		{"addons absent", cmdWith(func(c *StartVmCmd) { c.Addons = nil }), cfgX86,
			libvirtxml.DomainDeviceList{Emulator: fakeQemuPath, Inputs: []libvirtxml.DomainInput{tablet}}},
		{"addons.qemuPath", cmdWith(func(c *StartVmCmd) { c.Addons.QemuPath = "/opt/qemu/bin/qemu-system-x86_64" }), cfgX86,
			libvirtxml.DomainDeviceList{Emulator: "/opt/qemu/bin/qemu-system-x86_64", Inputs: []libvirtxml.DomainInput{tablet}}},
		{"aarch64 adds a usb keyboard", baseCmd(), cfgArm64,
			libvirtxml.DomainDeviceList{Emulator: fakeQemuPath, Inputs: []libvirtxml.DomainInput{tablet, {Type: "keyboard", Bus: "usb"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeDevices, tc.cmd, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(tc.want))
		})
	}
	t.Run("no qemu on the host", func(t *testing.T) {
		boom := errors.New("Could not find qemu-kvm")
		h := newFakeHost()
		h.err = map[string]error{"QemuPath": boom}
		if _, err := runStep(t, MakeDevices, baseCmd(), cfgX86, h); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}
