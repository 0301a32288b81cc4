package vmplugin

import "libvirt.org/go/libvirtxml"

// MakeFeatures is make_features: acpi, apic and pae on every arch, and
// kvm hidden (hides the hypervisor from guest drivers that refuse to run
// under it) when kvmHiddenState is set, and vmport off (no VMware I/O
// port) when vmPortOff is set.
func MakeFeatures(c *BuildContext) error {
	f := &libvirtxml.DomainFeatureList{
		ACPI: &libvirtxml.DomainFeature{},
		APIC: &libvirtxml.DomainFeatureAPIC{},
		PAE:  &libvirtxml.DomainFeature{},
	}
	if c.Cmd.KvmHiddenState {
		f.KVM = &libvirtxml.DomainFeatureKVM{Hidden: &libvirtxml.DomainFeatureState{State: "on"}}
	}
	if c.Cmd.VMPortOff {
		f.VMPort = &libvirtxml.DomainFeatureState{State: "off"}
	}
	c.Domain.Features = f
	return nil
}
