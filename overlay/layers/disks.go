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
	Applies:   func(c *layer.Context) bool { e := ex(c); return e != nil && e.Disks != nil },
	Apply:     applyDisks,
}

func applyDisks(c *layer.Context) error {
	t, d := ex(c).Disks, c.Domain
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
			return fmt.Errorf("ex.disks.targets[%d]: no disk with target dev %q", i, dev)
		}
		if slices.Contains(targets, &d.Devices.Disks[j]) {
			return fmt.Errorf("ex.disks.targets[%d]: %q is listed twice", i, dev)
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
	next := uint(0)
	for _, disk := range targets {
		if disk.Driver == nil {
			disk.Driver = &libvirtxml.DomainDiskDriver{}
		}
		if t.Discard != "" {
			disk.Driver.Discard = t.Discard
		}
		if t.IO != "" {
			disk.Driver.IO = t.IO
		}
		if t.IOThreads > 0 && disk.Target.Bus == "virtio" {
			id := next%t.IOThreads + 1
			disk.Driver.IOThread = &id
			next++
		}
	}
	if t.IOThreads > 0 {
		d.IOThreads = t.IOThreads
	}
	return nil
}
