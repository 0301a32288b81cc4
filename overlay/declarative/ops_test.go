package declarative

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// want is one expectation on the result: the elements at an etree path
// (from <domain>), their count, and optionally one attribute's value on
// the first ("" with absent=true: the attribute must be missing).
type want struct {
	path  string
	count int
	// more, when set, makes count the stock XML's count of path plus more
	// (an added device: the release decides how many the stock has).
	more   int
	attr   string
	value  string
	absent bool
}

func check(t *testing.T, x string, ws []want) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		els := doc.Root().FindElements(w.path)
		if len(els) != w.count {
			t.Errorf("%s: %d elements, want %d", w.path, len(els), w.count)
			continue
		}
		if w.attr == "" || len(els) == 0 {
			continue
		}
		a := els[0].SelectAttr(w.attr)
		switch {
		case w.absent && a != nil:
			t.Errorf("%s/@%s = %q, want it absent", w.path, w.attr, a.Value)
		case !w.absent && a == nil:
			t.Errorf("%s/@%s absent, want %q", w.path, w.attr, w.value)
		case !w.absent && a.Value != w.value:
			t.Errorf("%s/@%s = %q, want %q", w.path, w.attr, a.Value, w.value)
		}
	}
}

func entryWith(ops ...Op) Entry {
	return Entry{Name: "t", After: "uefi", Select: VMSelector{Name: "*"}, Ops: ops}
}

// TestOps runs each operation and device selector on example (a)'s stock
// domain: disks vda, vdb, three IDE cdroms (hdc, hdd, hde), one bridge NIC.
func TestOps(t *testing.T) {
	cases := []struct {
		name string
		op   Op
		want []want
	}{
		{"set first (default)", Op{Path: "devices/disk/driver", Set: map[string]string{"io": "native"}},
			[]want{{path: "devices/disk[1]/driver", count: 1, attr: "io", value: "native"}, {path: "devices/disk/driver[@io]", count: 1}}},
		{"set first explicit", Op{Path: "devices/disk/driver", First: true, Set: map[string]string{"io": "native"}},
			[]want{{path: "devices/disk[1]/driver", count: 1, attr: "io", value: "native"}, {path: "devices/disk/driver[@io]", count: 1}}},
		{"set nth 2", Op{Path: "devices/disk", Nth: 2, Set: map[string]string{"driver.io": "threads"}},
			[]want{{path: "devices/disk[2]/driver", count: 1, attr: "io", value: "threads"}, {path: "devices/disk/driver[@io]", count: 1}}},
		{"set nth beyond the devices does nothing", Op{Path: "devices/disk", Nth: 9, Set: map[string]string{"driver.io": "threads"}},
			[]want{{path: "devices/disk/driver[@io]", count: 0}}},
		{"set all", Op{Path: "devices/disk/driver", All: true, Set: map[string]string{"discard": "unmap"}},
			[]want{{path: "devices/disk/driver[@discard='unmap']", count: 5}}},
		{"set match sub-element attribute", Op{Path: "devices/disk/driver", Match: []string{"target.dev=vdb"}, Set: map[string]string{"io": "native"}},
			[]want{{path: "devices/disk[2]/driver", count: 1, attr: "io", value: "native"}, {path: "devices/disk/driver[@io]", count: 1}}},
		{"set match own attribute, all", Op{Path: "devices/disk", Match: []string{"device=cdrom"}, All: true, Set: map[string]string{"target.bus": "sata"}},
			[]want{{path: "devices/disk/target[@bus='sata']", count: 3}, {path: "devices/disk/target[@bus='virtio']", count: 2}}},
		{"set match two properties ANDed", Op{Path: "devices/disk", Match: []string{"device=cdrom", "target.dev=hdd"}, Set: map[string]string{"target.bus": "sata"}},
			[]want{{path: "devices/disk/target[@bus='sata']", count: 1}, {path: "devices/disk[4]/target", count: 1, attr: "bus", value: "sata"}}},
		{"set match nth among matches", Op{Path: "devices/disk", Match: []string{"device=cdrom"}, Nth: 3, Set: map[string]string{"target.bus": "sata"}},
			[]want{{path: "devices/disk[5]/target", count: 1, attr: "bus", value: "sata"}, {path: "devices/disk/target[@bus='sata']", count: 1}}},
		{"set match nothing does nothing", Op{Path: "devices/disk", Match: []string{"target.dev=vdz"}, Set: map[string]string{"driver.io": "native"}},
			[]want{{path: "devices/disk/driver[@io]", count: 0}}},
		{"set empty value unsets", Op{Path: "devices/disk", Set: map[string]string{"snapshot": ""}},
			[]want{{path: "devices/disk[1]", count: 1, attr: "snapshot", absent: true}, {path: "devices/disk[2]", count: 1, attr: "snapshot", value: "external"}}},
		{"set creates a missing singleton", Op{Path: "os/loader", Set: map[string]string{"readonly": "yes", "type": "pflash", "#text": "/usr/share/OVMF/OVMF_CODE.fd"}},
			[]want{{path: "os/loader", count: 1, attr: "type", value: "pflash"}}},
		{"set text", Op{Path: "devices/emulator", Set: map[string]string{"#text": "/usr/bin/qemu-system-x86_64"}},
			[]want{{path: "devices/emulator", count: 1}}},
		{"set under a selected NIC", Op{Path: "devices/interface/driver", Match: []string{"mac.address=fa:3e:7a:9c:41:00"}, Set: map[string]string{"name": "qemu", "queues": "4"}},
			[]want{{path: "devices/interface/driver", count: 1, attr: "queues", value: "4"}}},
		{"unset attribute", Op{Path: "devices/disk/driver", All: true, Unset: []string{"cache"}},
			[]want{{path: "devices/disk/driver[@cache]", count: 0}, {path: "devices/disk/driver", count: 5}}},
		{"unset prunes emptied sub-elements", Op{Path: "devices/memballoon", Unset: []string{"stats.period"}},
			[]want{{path: "devices/memballoon/stats", count: 0}, {path: "devices/memballoon", count: 1, attr: "model", value: "virtio"}}},
		{"create missing", Op{Path: "features/pmu", Create: map[string]string{"state": "off"}},
			[]want{{path: "features/pmu", count: 1, attr: "state", value: "off"}}},
		{"create present is left alone", Op{Path: "features/acpi", Create: map[string]string{}},
			[]want{{path: "features/acpi", count: 1}}},
		{"create a device when none exists", Op{Path: "devices/watchdog", Create: map[string]string{"model": "i6300esb"}},
			[]want{{path: "devices/watchdog", count: 1, attr: "model", value: "i6300esb"}}},
		{"create a device that exists does not add one", Op{Path: "devices/memballoon", Create: map[string]string{"model": "none"}},
			[]want{{path: "devices/memballoon", count: 1, attr: "model", value: "virtio"}}},
		{"create under each selected device", Op{Path: "devices/interface/driver", Create: map[string]string{"name": "vhost"}},
			[]want{{path: "devices/interface/driver", count: 1, attr: "name", value: "vhost"}}},
		{"delete first", Op{Path: "devices/disk", Match: []string{"device=cdrom"}, Delete: true},
			[]want{{path: "devices/disk[@device='cdrom']", count: 2}, {path: "devices/disk/target[@dev='hdc']", count: 0}}},
		{"delete all", Op{Path: "devices/disk", Match: []string{"device=cdrom"}, All: true, Delete: true},
			[]want{{path: "devices/disk", count: 2}}},
		{"delete sub-element of selected device", Op{Path: "devices/disk/boot", Match: []string{"target.dev=vda"}, Delete: true},
			[]want{{path: "devices/disk/boot", count: 0}, {path: "devices/disk", count: 5}}},
		{"delete singleton", Op{Path: "devices/memballoon", Delete: true},
			[]want{{path: "devices/memballoon", count: 0}}},
		{"merge adds a child", Op{Path: "devices/interface", Merge: `<interface><driver name="qemu" queues="4"/></interface>`},
			[]want{{path: "devices/interface/driver", count: 1, attr: "queues", value: "4"}}},
		{"merge into existing child by name", Op{Path: "devices/disk", Match: []string{"target.dev=vdb"}, Merge: `<disk><driver io="native"/><serial>data-1</serial></disk>`},
			[]want{{path: "devices/disk[2]/driver", count: 1, attr: "io", value: "native"}, {path: "devices/disk[2]/driver", count: 1, attr: "cache", value: "none"}, {path: "devices/disk[2]/serial", count: 1}}},
		{"merge attributes on the element", Op{Path: "devices/graphics", Merge: `<graphics keymap="de"/>`},
			[]want{{path: "devices/graphics", count: 1, attr: "keymap", value: "de"}, {path: "devices/graphics/listen", count: 1}}},
		{"merge creates a missing singleton section", Op{Path: "devices", Merge: `<devices><rng model="virtio"><backend model="random">/dev/urandom</backend></rng></devices>`},
			[]want{{path: "devices/rng/backend", count: 1, attr: "model", value: "random"}}},
		{"merge a namespaced fragment at the root", Op{Path: "/domain", Merge: `<domain xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"><qemu:commandline><qemu:arg value="-no-hpet"/></qemu:commandline></domain>`},
			[]want{{path: "commandline/arg", count: 1, attr: "value", value: "-no-hpet"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEntry(t, entryWith(tc.op))
			x, err := run(t, e, stockCmd(t, "mn_example_a"))
			if err != nil {
				t.Fatal(err)
			}
			check(t, x, tc.want)
		})
	}
}

// TestOpsInOrder: ops of one entry see each other's results.
func TestOpsInOrder(t *testing.T) {
	e := mustEntry(t, entryWith(
		Op{Path: "devices/disk", Match: []string{"device=cdrom"}, All: true, Delete: true},
		Op{Path: "devices/disk", Nth: 2, Set: map[string]string{"driver.io": "native"}},
	))
	x, err := run(t, e, stockCmd(t, "mn_example_a"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, x, []want{{path: "devices/disk", count: 2}, {path: "devices/disk[2]/driver", count: 1, attr: "io", value: "native"}})
}

// TestRequestTimeLoss: a property valid for another device variant passes
// the load check and must fail the request, naming it, not vanish.
func TestRequestTimeLoss(t *testing.T) {
	e := mustEntry(t, entryWith(Op{Path: "devices/interface", Merge: `<interface><source network="default"/></interface>`}))
	_, err := run(t, e, stockCmd(t, "mn_example_a"))
	var le *LostError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LostError", err)
	}
	if want := `config layers.declarative "t": attribute network of <source> under devices/interface is not part of libvirt's domain model as libvirtxml knows it`; err.Error() != want {
		t.Errorf("err = %q\nwant %q", err, want)
	}
}

// TestNoChangeIsStock: an entry whose ops select nothing leaves every stock
// corpus domain as it was, byte for byte, through the round trip.
func TestNoChangeIsStock(t *testing.T) {
	files, err := filepath.Glob("../../upstream/vmplugin/testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	e := mustEntry(t, entryWith(
		Op{Path: "devices/disk", Match: []string{"target.dev=nosuch"}, Set: map[string]string{"driver.io": "native"}},
		Op{Path: "devices/interface", Match: []string{"mac.address=00:00:00:00:00:00"}, Delete: true},
	))
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			cmd := stockCmd(t, name)
			want, err := vmplugin.MarshalDomain(stockDomain(t, cmd))
			if err != nil {
				t.Fatal(err)
			}
			got, err := run(t, e, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("round trip changed the stock domain:\n%s\nwant\n%s", got, want)
			}
		})
		n++
	}
	if n < 10 {
		t.Fatalf("only %d corpus commands", n)
	}
}

func TestVMSelector(t *testing.T) {
	cmd := stockCmd(t, "mn_example_a") // uuid 5d1f7c3a9b2e4f60a8c4d2e1b7f9a013, name web-01
	tagged := stockCmd(t, "mn_example_a")
	tagged.Blocks = map[string]any{excmd.TagsKey: &map[string]string{"role": "frontend", "empty": ""}}
	cases := []struct {
		name string
		sel  VMSelector
		cmd  *excmd.StartVmExCmd
		want bool
	}{
		{"uuid plain", VMSelector{UUID: "5d1f7c3a9b2e4f60a8c4d2e1b7f9a013"}, cmd, true},
		{"uuid dashed upper", VMSelector{UUID: "5D1F7C3A-9B2E-4F60-A8C4-D2E1B7F9A013"}, cmd, true},
		{"uuid other", VMSelector{UUID: "00000000000000000000000000000000"}, cmd, false},
		{"name exact", VMSelector{Name: "web-01"}, cmd, true},
		{"name glob", VMSelector{Name: "web-*"}, cmd, true},
		{"name class", VMSelector{Name: "web-0[2-9]"}, cmd, false},
		{"name all", VMSelector{Name: "*"}, cmd, true},
		{"tag without ex", VMSelector{Tag: "role=frontend"}, cmd, false},
		{"tag", VMSelector{Tag: "role=frontend"}, tagged, true},
		{"tag other value", VMSelector{Tag: "role=backend"}, tagged, false},
		{"tag empty value", VMSelector{Tag: "empty="}, tagged, true},
		{"tag missing key with empty value", VMSelector{Tag: "nosuch="}, tagged, false},
		{"all of them", VMSelector{UUID: "5d1f7c3a9b2e4f60a8c4d2e1b7f9a013", Name: "web-*", Tag: "role=frontend"}, tagged, true},
		{"one fails", VMSelector{UUID: "5d1f7c3a9b2e4f60a8c4d2e1b7f9a013", Name: "db-*", Tag: "role=frontend"}, tagged, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := entryWith(Op{Path: "features/pmu", Create: map[string]string{}})
			e.Select = tc.sel
			e = mustEntry(t, e)
			l := e.Layer()
			if got := l.Applies(&layer.Context{Ctx: context.Background(), Cmd: tc.cmd}); got != tc.want {
				t.Errorf("Applies = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWritesAndReads(t *testing.T) {
	e := mustEntry(t, Entry{Name: "w", Before: "uefi", Select: VMSelector{Tag: "role=db"}, Overrides: []string{"disk-tuning"}, Ops: []Op{
		{Path: "/domain/devices/disk/driver", Set: map[string]string{"io": "native"}},
		{Path: "devices/emulator", Set: map[string]string{"#text": "/usr/bin/qemu-system-x86_64"}},
		{Path: "devices/disk", Unset: []string{"driver.discard"}},
		{Path: "features/pmu", Create: map[string]string{"state": "off"}},
		{Path: "devices/disk", Match: []string{"device=cdrom"}, Delete: true},
		{Path: "devices/interface", Merge: `<interface><driver queues="4"><host csum="off"/></driver></interface>`},
	}})
	l := e.Layer()
	wantW := []string{
		"/domain/devices/disk",
		"/domain/devices/disk/driver/@discard",
		"/domain/devices/disk/driver/@io",
		"/domain/devices/emulator",
		"/domain/devices/interface/driver",
		"/domain/devices/interface/driver/@queues",
		"/domain/devices/interface/driver/host",
		"/domain/devices/interface/driver/host/@csum",
		"/domain/features/pmu",
		"/domain/features/pmu/@state",
	}
	if !reflect.DeepEqual(l.Writes, wantW) {
		t.Errorf("Writes = %q\nwant %q", l.Writes, wantW)
	}
	if want := []string{"config:layers.declarative[name=w]", "ex.tags.role"}; !reflect.DeepEqual(l.Reads, want) {
		t.Errorf("Reads = %q, want %q", l.Reads, want)
	}
	if !reflect.DeepEqual(l.Overrides, []string{"disk-tuning"}) || l.Name != "w" || !strings.Contains(l.Doc, "ops[5]: merge fragment devices/interface") {
		t.Errorf("layer = %+v", l)
	}
}
