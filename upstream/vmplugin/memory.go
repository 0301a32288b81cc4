package vmplugin

import (
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// The NUMA branch's fixed memory hot-plug ceiling: 64 TiB in KiB, 16 slots.
const (
	numaMaxMemoryKiB = 68719476736
	numaMemorySlots  = 16
)

// MakeMemory is make_memory. The NUMA branch has no <memory>: the cell
// carries it, and <maxMemory> leaves room for hot-plug.
func MakeMemory(c *BuildContext) error {
	d := c.Domain
	mem := floorDiv(c.Cmd.Memory, 1024)
	if mem < 0 {
		return fmt.Errorf("memory: %d is negative", c.Cmd.Memory)
	}
	if c.Cmd.UseNuma {
		d.MaximumMemory = &libvirtxml.DomainMaxMemory{Value: numaMaxMemoryKiB, Slots: numaMemorySlots, Unit: "KiB"}
		d.CurrentMemory = &libvirtxml.DomainCurrentMemory{Value: uint(mem), Unit: "k"}
		return nil
	}
	d.Memory = &libvirtxml.DomainMemory{Value: uint(mem), Unit: "k"}
	d.CurrentMemory = &libvirtxml.DomainCurrentMemory{Value: uint(mem), Unit: "k"}
	return nil
}
