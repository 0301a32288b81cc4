package vmplugin

import (
	"errors"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeOS(t *testing.T) {
	pc := &libvirtxml.DomainOSType{Machine: "pc", Type: "hvm"}
	menu := &libvirtxml.DomainBootMenu{Enable: "yes"}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		cfg  Config
		want *libvirtxml.DomainOS
	}{
		{"bootDev hd writes no boot element", baseCmd(), cfgX86, &libvirtxml.DomainOS{Type: pc, BootMenu: menu}},
		{"bootDev cdrom first lists every device", cmdWith(func(c *StartVmCmd) { c.BootDev = []string{"cdrom", "hd", "network"} }), cfgX86,
			&libvirtxml.DomainOS{Type: pc, BootMenu: menu, BootDevices: []libvirtxml.DomainBootDevice{{Dev: "cdrom"}, {Dev: "hd"}, {Dev: "network"}}}},
		{"bootDev hd then cdrom writes none", cmdWith(func(c *StartVmCmd) { c.BootDev = []string{"hd", "cdrom"} }), cfgX86, &libvirtxml.DomainOS{Type: pc, BootMenu: menu}},
		{"useBootMenu false", cmdWith(func(c *StartVmCmd) { c.UseBootMenu = false }), cfgX86, &libvirtxml.DomainOS{Type: pc}},
		{"aarch64 pflash", baseCmd(), cfgArm64, &libvirtxml.DomainOS{
			Type:     &libvirtxml.DomainOSType{Arch: "aarch64", Type: "hvm"},
			Loader:   &libvirtxml.DomainLoader{Path: "/usr/share/edk2.git/aarch64/QEMU_EFI-pflash.raw", Readonly: "yes", Type: "pflash"},
			BootMenu: menu,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeOS, tc.cmd, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, &libvirtxml.Domain{OS: tc.want})
		})
	}
	t.Run("bootDev empty", func(t *testing.T) {
		_, err := runStep(t, MakeOS, cmdWith(func(c *StartVmCmd) { c.BootDev = nil }), cfgX86, nil)
		if !errors.Is(err, errNoBootDev) {
			t.Fatalf("err = %v, want errNoBootDev", err)
		}
	})
}
