package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeFeatures(t *testing.T) {
	base := func() *libvirtxml.DomainFeatureList {
		return &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}, PAE: &libvirtxml.DomainFeature{}}
	}
	hidden := base()
	hidden.KVM = &libvirtxml.DomainFeatureKVM{Hidden: &libvirtxml.DomainFeatureState{State: "on"}}
	vmportOff := base()
	vmportOff.VMPort = &libvirtxml.DomainFeatureState{State: "off"}
	both := base()
	both.KVM = hidden.KVM
	both.VMPort = vmportOff.VMPort
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
		want *libvirtxml.DomainFeatureList
	}{
		{"kvmHiddenState false", baseCmd(), cfgX86, base()},
		{"kvmHiddenState true", cmdWith(func(c *StartVmCmd) { c.KvmHiddenState = true }), cfgX86, hidden},
		{"aarch64 keeps acpi apic pae", baseCmd(), cfgArm64, base()},
		{"vmPortOff true", cmdWith(func(c *StartVmCmd) { c.VMPortOff = true }), cfgX86, vmportOff},
		{"vmPortOff and kvmHiddenState", cmdWith(func(c *StartVmCmd) { c.VMPortOff = true; c.KvmHiddenState = true }), cfgX86, both},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeFeatures, tc.cmd, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, &libvirtxml.Domain{Features: tc.want})
		})
	}
}
