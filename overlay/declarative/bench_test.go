package declarative

import (
	"context"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// BenchmarkApply: one declarative layer of four ops on example (a)'s stock
// domain (marshal, etree edits, unmarshal, loss check).
func BenchmarkApply(b *testing.B) {
	e := mustEntry(b, entryWith(
		Op{Path: "devices/disk/driver", Match: []string{"target.dev=vdb"}, Set: map[string]string{"io": "native"}},
		Op{Path: "devices/interface", Merge: `<interface><driver name="qemu" queues="4"/></interface>`},
		Op{Path: "features/pmu", Create: map[string]string{"state": "off"}},
		Op{Path: "devices/disk", Match: []string{"device=cdrom"}, All: true, Delete: true},
	))
	cmd := stockCmd(b, "mn_example_a")
	stock, err := stockDomain(b, cmd).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	l := e.Layer()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d := &libvirtxml.Domain{}
		if err := d.Unmarshal(stock); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := l.Apply(&layer.Context{Ctx: context.Background(), Cmd: cmd, Domain: d}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate: load-time cost of one entry (its probes).
func BenchmarkValidate(b *testing.B) {
	for b.Loop() {
		e := entryWith(Op{Path: "devices/interface", Merge: `<interface><driver name="qemu" queues="4"/></interface>`})
		if err := e.Provision(); err != nil {
			b.Fatal(err)
		}
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
