package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeBalloonMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{{"arch x86_64", cfgX86}, {"arch aarch64", cfgArm64}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeBalloonMemory, baseCmd(), tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{
				MemBalloon: &libvirtxml.DomainMemBalloon{Model: "virtio", Stats: &libvirtxml.DomainMemBalloonStats{Period: 10}},
			}))
		})
	}
}
