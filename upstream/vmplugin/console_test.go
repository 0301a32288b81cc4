package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeConsole(t *testing.T) {
	pty := func() *libvirtxml.DomainChardevSource {
		return &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}}
	}
	for _, cfg := range []Config{cfgX86, cfgArm64} {
		t.Run("arch "+cfg.Arch, func(t *testing.T) {
			got, err := runStep(t, MakeConsole, baseCmd(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{
				Serials:  []libvirtxml.DomainSerial{{Source: pty(), Target: &libvirtxml.DomainSerialTarget{Port: uintPtr(0)}}},
				Consoles: []libvirtxml.DomainConsole{{Source: pty(), Target: &libvirtxml.DomainConsoleTarget{Type: "serial", Port: uintPtr(0)}}},
			}))
		})
	}
}
