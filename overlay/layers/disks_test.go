package layers_test

import (
	"testing"

	"github.com/strataagent/strata/overlay/layers"
)

func TestDiskTuning(t *testing.T) {
	ctx, err := applyLayer(t, layers.DiskTuning, errCase{ex: `{"disks":{"discard":"ignore","io":"io_uring","iothreads":1}}`})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Domain.IOThreads != 1 {
		t.Errorf("iothreads %d", ctx.Domain.IOThreads)
	}
	for _, d := range ctx.Domain.Devices.Disks {
		dr := d.Driver
		if d.Device == "cdrom" {
			if dr.IO != "" || dr.Discard != "" || dr.IOThread != nil {
				t.Errorf("cdrom %s tuned: %+v", d.Target.Dev, dr)
			}
			continue
		}
		if dr.IO != "io_uring" || dr.Discard != "ignore" || dr.IOThread == nil || *dr.IOThread != 1 {
			t.Errorf("disk %s: %+v", d.Target.Dev, dr)
		}
	}
	runErrCases(t, layers.DiskTuning, []errCase{
		{name: "empty", ex: `{"disks":{"targets":["vda"]}}`, want: `ex.disks: empty: give discard, io or iothreads`},
		{name: "discard", ex: `{"disks":{"discard":"trim"}}`, want: `ex.disks.discard: "trim": want "unmap" or "ignore"`},
		{name: "io", ex: `{"disks":{"io":"aio"}}`, want: `ex.disks.io: "aio": want "native", "threads" or "io_uring"`},
		{name: "iothreads", ex: `{"disks":{"iothreads":65}}`, want: `ex.disks.iothreads: 65 is above 64`},
		{name: "no target", ex: `{"disks":{"io":"threads","targets":["vdz"]}}`, want: `ex.disks.targets[0]: no disk with target dev "vdz"`},
		{name: "twice", ex: `{"disks":{"io":"threads","targets":["vda","vda"]}}`, want: `ex.disks.targets[1]: "vda" is listed twice (also targets[0])`},
		{name: "native needs cache none", ex: `{"disks":{"io":"native","targets":["hdc"]}}`, want: `ex.disks.io: native needs cache none or directsync; disk hdc has cache ""`},
		{name: "iothread on ide", ex: `{"disks":{"iothreads":1,"targets":["hdc"]}}`, want: `ex.disks.iothreads: disk hdc (targets[0]) is on bus ide; iothreads serve virtio disks`},
	})
}
