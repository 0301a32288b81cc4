package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeSecLabel(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{{"arch x86_64", cfgX86}, {"arch aarch64", cfgArm64}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeSecLabel, baseCmd(), tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, &libvirtxml.Domain{SecLabel: []libvirtxml.DomainSecLabel{{Type: "none"}}})
		})
	}
}
