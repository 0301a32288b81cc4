package layers

import (
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// HugepagesEx is the ex.hugepages block.
type HugepagesEx struct {
	Size uint64 `json:"size"` // page size in KiB: 2048 or 1048576; 0 means 2048
}

var hugepagesBlock = &layer.Block[HugepagesEx]{Name: "hugepages", Validate: validateHugepages}

// Hugepages backs guest memory with huge pages.
var Hugepages = layer.Layer{
	Name: "hugepages",
	Doc: `Hugepage memory backing of one page size, refused when the host has too few free pages.

	"ex": {"hugepages": {"size": 2048}}

size is in KiB: 2048 (2 MiB) or 1048576 (1 GiB); 0 or absent means 2048.`,
	Reads:   []string{"ex.hugepages.size", "memory"},
	Writes:  []string{"/domain/memoryBacking/hugepages"},
	Ex:      hugepagesBlock,
	Apply:   applyHugepages,
	Records: true,
}

func (h *HugepagesEx) size() uint64 {
	if h.Size == 0 {
		return 2048
	}
	return h.Size
}

func validateHugepages(h *HugepagesEx, c *layer.Check) error {
	size := h.size()
	if size != 2048 && size != 1048576 {
		return fmt.Errorf("ex.hugepages.size: %d KiB is not an x86_64 huge page size (want 2048 or 1048576)", h.Size)
	}
	if c.Cmd.Memory <= 0 {
		return nil // the stock validation names memory
	}
	need := uint64(c.Cmd.Memory) / 1024
	if need%size != 0 {
		return fmt.Errorf("ex.hugepages.size: the VM's memory (%d KiB) is not a multiple of the %d KiB page size", need, size)
	}
	if c.Host == nil {
		return nil
	}
	return checkFreePages(c.Host, size, need)
}

func checkFreePages(host layer.Host, size, need uint64) error {
	free, err := host.FreeHugepages(size)
	if err != nil {
		return fmt.Errorf("ex.hugepages: read the host's free %d KiB pages: %w", size, err)
	}
	if free*size < need {
		return fmt.Errorf("ex.hugepages: the host has %d free %d KiB pages (%d MiB), the VM needs %d MiB", free, size, free*size/1024, need/1024)
	}
	return nil
}

func applyHugepages(c *layer.Context) error {
	h, d := hugepagesBlock.In(c), c.Domain
	size := h.size()
	if d.Memory == nil {
		return fmt.Errorf("ex.hugepages: the stock domain has no <memory>")
	}
	need, err := kib(d.Memory.Value, d.Memory.Unit)
	if err != nil {
		return fmt.Errorf("ex.hugepages: %w", err)
	}
	if need%size != 0 {
		return fmt.Errorf("ex.hugepages.size: the VM's memory (%d KiB) is not a multiple of the %d KiB page size", need, size)
	}
	// The host's free pages were checked with the block (validateHugepages).
	was := d.MemoryBacking
	// a new <memoryBacking>: the old one stays as it was
	var backing libvirtxml.DomainMemoryBacking
	if was != nil {
		backing = *was
	}
	backing.MemoryHugePages = &libvirtxml.DomainMemoryHugepages{
		Hugepages: []libvirtxml.DomainMemoryHugepage{{Size: uint(size), Unit: "KiB"}},
	}
	d.MemoryBacking = &backing
	c.Changed("/domain", d, layer.Before("memoryBacking", was))
	return nil
}

// kib converts a libvirt memory value to KiB (libvirt's unit names).
func kib(v uint, unit string) (uint64, error) {
	n := uint64(v)
	switch unit {
	case "b", "bytes":
		return n / 1024, nil
	case "", "k", "KiB":
		return n, nil
	case "KB":
		return n * 1000 / 1024, nil
	case "M", "MiB":
		return n << 10, nil
	case "MB":
		return n * 1000 * 1000 / 1024, nil
	case "G", "GiB":
		return n << 20, nil
	case "GB":
		return n * 1000 * 1000 * 1000 / 1024, nil
	case "T", "TiB":
		return n << 30, nil
	}
	return 0, fmt.Errorf("memory unit %q not understood", unit)
}
