package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeRoot(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"domainType unset is the seed's kvm", Config{Arch: ArchX86_64}, "kvm"},
		{"domainType kvm", cfgX86, "kvm"},
		{"domainType qemu", Config{DomainType: "qemu"}, "qemu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeRoot, baseCmd(), tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, &libvirtxml.Domain{Type: tc.want})
		})
	}
}
