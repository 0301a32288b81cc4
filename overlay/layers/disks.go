package layers

import (
	"fmt"
	"slices"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// MaxIOThreads bounds ex.disks.iothreads: more threads than this only costs
// host threads (QEMU gains nothing past one per disk and vCPU).
const MaxIOThreads = 64

// DisksEx is the ex.disks block: disk driver tuning.
type DisksEx struct {
	Targets   []string `json:"targets,omitempty"`   // target devs ("vda"); empty means every device="disk"
	Discard   string   `json:"discard,omitempty"`   // unmap | ignore
	IO        string   `json:"io,omitempty"`        // native | threads | io_uring
	IOThreads uint     `json:"iothreads,omitempty"` // number of iothreads; disks are spread over them
}

// maxDiskTargets bounds ex.disks.targets (a VM has at most a few dozen disks).
const maxDiskTargets = 256

var disksBlock = &layer.Block[DisksEx]{Name: "disks", Validate: validateDisks}

// DiskTuning sets discard, io mode and iothreads on disk drivers.
var DiskTuning = layer.Layer{
	Name: "disk-tuning",
	Doc: `Disk tuning: discard, io mode and iothreads, on the disks named by target dev or on every disk.

	"ex": {"disks": {"targets": ["vda"], "discard": "unmap", "io": "native", "iothreads": 2}}

discard is unmap or ignore; io is native (needs cache none or directsync),
threads or io_uring; iothreads adds <iothreads>N</iothreads> and spreads
the virtio disks over them. Without targets every device="disk" changes
(cdroms are left alone) and iothreads go to its virtio disks only.
It overrides machine: machine may rename IDE disks to SATA, so both write
inside disk elements; disk-tuning runs later and tunes what machine left.`,
	Reads:     []string{"ex.disks.targets", "ex.disks.discard", "ex.disks.io", "ex.disks.iothreads"},
	Writes:    []string{"/domain/iothreads", "/domain/devices/disk/driver/@discard", "/domain/devices/disk/driver/@io", "/domain/devices/disk/driver/@iothread"},
	Overrides: []string{"machine"},
	Ex:        disksBlock,
	Apply:     applyDisks,
	Records:   true,
}

func validateDisks(t *DisksEx, _ *layer.Check) error {
	if t.Discard == "" && t.IO == "" && t.IOThreads == 0 {
		return fmt.Errorf("ex.disks: empty: give discard, io or iothreads")
	}
	if t.Discard != "" && t.Discard != "unmap" && t.Discard != "ignore" {
		return fmt.Errorf(`ex.disks.discard: %q: want "unmap" or "ignore"`, t.Discard)
	}
	if t.IO != "" && !slices.Contains([]string{"native", "threads", "io_uring"}, t.IO) {
		return fmt.Errorf(`ex.disks.io: %q: want "native", "threads" or "io_uring"`, t.IO)
	}
	if t.IOThreads > MaxIOThreads {
		return fmt.Errorf("ex.disks.iothreads: %d is above %d", t.IOThreads, MaxIOThreads)
	}
	if len(t.Targets) > maxDiskTargets {
		return fmt.Errorf("ex.disks.targets: %d targets is more than %d", len(t.Targets), maxDiskTargets)
	}
	seen := make(map[string]int, len(t.Targets))
	for i, dev := range t.Targets {
		if j, dup := seen[dev]; dup {
			return fmt.Errorf("ex.disks.targets[%d]: %q is listed twice (also targets[%d])", i, truncate(dev), j)
		}
		seen[dev] = i
	}
	return nil
}

func applyDisks(c *layer.Context) error {
	t, d := disksBlock.In(c), c.Domain
	if d.Devices == nil {
		return fmt.Errorf("ex.disks: the VM has no disk")
	}
	var targets []*libvirtxml.DomainDisk
	explicit := len(t.Targets) > 0
	if !explicit {
		for i := range d.Devices.Disks {
			if d.Devices.Disks[i].Device == "disk" {
				targets = append(targets, &d.Devices.Disks[i])
			}
		}
		if len(targets) == 0 {
			return fmt.Errorf("ex.disks: the VM has no disk with device \"disk\"")
		}
	}
	for i, dev := range t.Targets {
		j := slices.IndexFunc(d.Devices.Disks, func(x libvirtxml.DomainDisk) bool { return x.Target != nil && x.Target.Dev == dev })
		if j < 0 {
			return fmt.Errorf("ex.disks.targets[%d]: no disk with target dev %q", i, truncate(dev))
		}
		targets = append(targets, &d.Devices.Disks[j])
	}
	for i, disk := range targets {
		cache := ""
		if disk.Driver != nil {
			cache = disk.Driver.Cache
		}
		if t.IO == "native" && cache != "none" && cache != "directsync" {
			return fmt.Errorf("ex.disks.io: native needs cache none or directsync; disk %s has cache %q", disk.Target.Dev, cache)
		}
		if t.IOThreads > 0 && explicit && disk.Target.Bus != "virtio" {
			return fmt.Errorf("ex.disks.iothreads: disk %s (targets[%d]) is on bus %s; iothreads serve virtio disks", disk.Target.Dev, i, disk.Target.Bus)
		}
	}
	disks := slices.Clone(d.Devices.Disks) // as they were, for c.Changed
	next := uint(0)
	for _, disk := range targets {
		// a new driver: the old one stays as it was
		var driver libvirtxml.DomainDiskDriver
		if disk.Driver != nil {
			driver = *disk.Driver
		}
		if t.Discard != "" {
			driver.Discard = t.Discard
		}
		if t.IO != "" {
			driver.IO = t.IO
		}
		if t.IOThreads > 0 && disk.Target.Bus == "virtio" {
			id := next%t.IOThreads + 1
			driver.IOThread = &id
			next++
		}
		disk.Driver = &driver
	}
	if t.IOThreads > 0 {
		was := d.IOThreads
		d.IOThreads = t.IOThreads
		c.Changed("/domain", d, layer.Before("iothreads", was))
	}
	c.Changed("/domain/devices", d.Devices, layer.Before("disk", disks))
	return nil
}
