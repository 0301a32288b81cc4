package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeMemory(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     *StartVmCmd
		want    *libvirtxml.Domain
		wantErr bool
	}{
		{"memory in KiB", baseCmd(), &libvirtxml.Domain{
			Memory:        &libvirtxml.DomainMemory{Value: 2097152, Unit: "k"},
			CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: 2097152, Unit: "k"},
		}, false},
		{"memory floors to whole KiB", cmdWith(func(c *StartVmCmd) { c.Memory = 2047 }), &libvirtxml.Domain{
			Memory:        &libvirtxml.DomainMemory{Value: 1, Unit: "k"},
			CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: 1, Unit: "k"},
		}, false},
		{"useNuma has maxMemory and no memory", cmdWith(func(c *StartVmCmd) { c.UseNuma = true }), &libvirtxml.Domain{
			MaximumMemory: &libvirtxml.DomainMaxMemory{Value: 68719476736, Slots: 16, Unit: "KiB"},
			CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: 2097152, Unit: "k"},
		}, false},
		{"memory negative", cmdWith(func(c *StartVmCmd) { c.Memory = -1 }), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeMemory, tc.cmd, cfgX86, nil)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil {
				assertDomain(t, got, tc.want)
			}
		})
	}
}
