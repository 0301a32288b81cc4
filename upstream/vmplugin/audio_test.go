package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeAudioMicrophone(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want *libvirtxml.Domain
	}{
		{"consoleMode vnc", baseCmd(), &libvirtxml.Domain{}},
		{"consoleMode spice", cmdWith(func(c *StartVmCmd) { c.ConsoleMode = "spice" }),
			devicesOnly(libvirtxml.DomainDeviceList{Sounds: []libvirtxml.DomainSound{{Model: "ich6"}}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeAudioMicrophone, tc.cmd, cfgX86, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, tc.want)
		})
	}
}
