package provenance_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/domaintest"
	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/provenance"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// xmlDiff is the reference: Diff of the scope's part marshalled and parsed.
func xmlDiff(t *testing.T, before, after *libvirtxml.Domain, s *provenance.Scope) []provenance.Change {
	t.Helper()
	a, err := provenance.SnapshotScope(before, s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := provenance.SnapshotScope(after, s)
	if err != nil {
		t.Fatal(err)
	}
	return provenance.Diff(a, b)
}

func lines(cs []provenance.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s %s %q -> %q\n", c.Op, c.Path, c.Old, c.New)
	}
	return b.String()
}

// sameAsXML checks that the typed record of mutate equals the XML diff,
// for the whole domain and for the scope of writes.
func sameAsXML(t *testing.T, d *libvirtxml.Domain, writes []string, mutate func(*libvirtxml.Domain) error) {
	t.Helper()
	before, x := copyOf(t, d)
	scopes := []*provenance.Scope{provenance.ScopeOf([]string{"/domain"})}
	if writes != nil {
		scopes = append(scopes, provenance.ScopeOf(writes))
	}
	var taken []*provenance.Typed
	for _, s := range scopes {
		tk, err := provenance.Take(d, s)
		if err != nil {
			t.Fatal(err)
		}
		taken = append(taken, tk)
	}
	// A Take into reused memory reads the live domain only.
	if again, err := d.Marshal(); err != nil || again != x {
		t.Fatalf("Take changed the domain it copied (err %v)", err)
	}
	if err := mutate(d); err != nil {
		t.Fatal(err)
	}
	for i, s := range scopes {
		got, err := taken[i].Changes(d)
		if err != nil {
			t.Fatal(err)
		}
		taken[i].Release() // the next case's Take of this scope reuses its memory
		want := xmlDiff(t, &before, d, s)
		if g, w := lines(got), lines(want); g != w {
			t.Errorf("scope %d (%v): typed record\n%s\nXML diff\n%s", i, writes, g, w)
		}
	}
}

// copyOf is d read back from its XML (a copy sharing nothing), and the XML.
func copyOf(tb testing.TB, d *libvirtxml.Domain) (libvirtxml.Domain, string) {
	tb.Helper()
	var c libvirtxml.Domain
	x, err := d.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Unmarshal(x); err != nil {
		tb.Fatal(err)
	}
	return c, x
}

func stockDomain(t *testing.T, file string) *libvirtxml.Domain {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := excmd.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	d, err := vmplugin.Build(context.Background(), &cmd.StartVmCmd, vmplugin.Config{DomainType: "kvm", Arch: vmplugin.ArchX86_64}, buildHost)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var buildHost = domaintest.BuildHost{Emulator: "/usr/bin/qemu-system-x86_64"}

func uintp(n uint) *uint { return &n }

// TestTypedMatchesXML: hand-made edits of a stock domain, each recorded
// typed and diffed as XML, must give the same Change list.
func TestTypedMatchesXML(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		mutate func(*libvirtxml.Domain) error
	}{
		{"nothing", []string{"/domain/devices/disk"}, func(*libvirtxml.Domain) error { return nil }},
		{"root attribute", nil, func(d *libvirtxml.Domain) error { d.Type = "qemu"; return nil }},
		{"text element", []string{"/domain/description"}, func(d *libvirtxml.Domain) error { d.Description = "x & <y>"; return nil }},
		{"text element removed", []string{"/domain/description"}, func(d *libvirtxml.Domain) error { d.Description = ""; return nil }},
		{"iothreads added", []string{"/domain/iothreads"}, func(d *libvirtxml.Domain) error { d.IOThreads = 3; return nil }},
		{"disk driver attributes", []string{"/domain/devices/disk/driver"}, func(d *libvirtxml.Domain) error {
			for i := range d.Devices.Disks {
				if dr := d.Devices.Disks[i].Driver; dr != nil {
					dr.IO, dr.Cache, dr.IOThread = "native", "", uintp(2)
				}
			}
			return nil
		}},
		{"disk renamed", []string{"/domain/devices/disk"}, func(d *libvirtxml.Domain) error {
			for i := range d.Devices.Disks {
				if tg := d.Devices.Disks[i].Target; tg != nil && tg.Bus == "ide" {
					tg.Dev, tg.Bus = "s"+tg.Dev, "sata"
				}
			}
			return nil
		}},
		{"disk removed and one added", []string{"/domain/devices/disk"}, func(d *libvirtxml.Domain) error {
			d.Devices.Disks = append(d.Devices.Disks[1:], libvirtxml.DomainDisk{Device: "disk", Target: &libvirtxml.DomainDiskTarget{Dev: "vdz", Bus: "virtio"}})
			return nil
		}},
		{"controllers filtered in place", []string{"/domain/devices/controller"}, func(d *libvirtxml.Domain) error {
			kept := d.Devices.Controllers[:0]
			for _, c := range d.Devices.Controllers {
				if c.Type != "ide" {
					kept = append(kept, c)
				}
			}
			d.Devices.Controllers = append(kept, libvirtxml.DomainController{Type: "sata", Index: uintp(0)})
			return nil
		}},
		{"interface driver added", []string{"/domain/devices/interface/driver"}, func(d *libvirtxml.Domain) error {
			for i := range d.Devices.Interfaces {
				d.Devices.Interfaces[i].Driver = &libvirtxml.DomainInterfaceDriver{Name: "qemu", Queues: 4}
			}
			return nil
		}},
		{"os loader and machine", []string{"/domain/os/loader", "/domain/os/type/@machine"}, func(d *libvirtxml.Domain) error {
			d.OS.Type.Machine = "q35"
			d.OS.Loader = &libvirtxml.DomainLoader{Path: "/x/OVMF.fd", Readonly: "yes", Type: "pflash"}
			return nil
		}},
		{"os type text and loader text", []string{"/domain/os"}, func(d *libvirtxml.Domain) error {
			d.OS.Type.Type = " xen\n"
			d.OS.Loader = &libvirtxml.DomainLoader{Path: "  /x/a&b<c>\"d\".fd\r", Secure: "yes"}
			return nil
		}},
		{"loader text XML cannot carry", []string{"/domain/os/loader"}, func(d *libvirtxml.Domain) error {
			d.OS.Loader = &libvirtxml.DomainLoader{Path: "/x/\x01\xff", Readonly: "yes"}
			return nil
		}},
		{"os type removed", []string{"/domain/os/type"}, func(d *libvirtxml.Domain) error {
			d.OS.Type = nil
			return nil
		}},
		{"disk source kind changed", []string{"/domain/devices/disk"}, func(d *libvirtxml.Domain) error {
			for i := range d.Devices.Disks {
				if s := d.Devices.Disks[i].Source; s != nil && s.File != nil {
					d.Devices.Disks[i].Source = &libvirtxml.DomainDiskSource{Block: &libvirtxml.DomainDiskSourceBlock{Dev: s.File.File}}
					break
				}
			}
			return nil
		}},
		{"disk source dropped, one without source added", []string{"/domain/devices/disk"}, func(d *libvirtxml.Domain) error {
			d.Devices.Disks[0].Source = nil
			d.Devices.Disks = append(d.Devices.Disks, libvirtxml.DomainDisk{Device: "cdrom", Source: &libvirtxml.DomainDiskSource{}, Target: &libvirtxml.DomainDiskTarget{Dev: "sdz"}})
			return nil
		}},
		{"interface source kind changed and one added", []string{"/domain/devices/interface"}, func(d *libvirtxml.Domain) error {
			for i := range d.Devices.Interfaces {
				d.Devices.Interfaces[i].Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: "n"}}
			}
			d.Devices.Interfaces = append(d.Devices.Interfaces, libvirtxml.DomainInterface{
				MAC: &libvirtxml.DomainInterfaceMAC{Address: "fa:00:00:00:00:09"}, Source: &libvirtxml.DomainInterfaceSource{Direct: &libvirtxml.DomainInterfaceSourceDirect{Dev: "eth0"}},
			})
			return nil
		}},
		{"metadata appended", []string{"/domain/metadata/strata:tags"}, func(d *libvirtxml.Domain) error {
			if d.Metadata == nil {
				d.Metadata = &libvirtxml.DomainMetadata{}
			}
			d.Metadata.XML += `<s:tags xmlns:s="https://strata.dev/xmlns/1"><tag name="a" value="b"/><!-- c --></s:tags>`
			return nil
		}},
		{"qemu commandline added", []string{"/domain/qemu:commandline"}, func(d *libvirtxml.Domain) error {
			d.QEMUCommandline = &libvirtxml.DomainQEMUCommandline{Args: []libvirtxml.DomainQEMUCommandlineArg{{Value: "-S"}, {Value: "a\"b"}}}
			return nil
		}},
		{"cputune pins", []string{"/domain/cputune"}, func(d *libvirtxml.Domain) error {
			d.CPUTune = &libvirtxml.DomainCPUTune{VCPUPin: []libvirtxml.DomainCPUTuneVCPUPin{{VCPU: 0, CPUSet: "0"}, {VCPU: 1, CPUSet: "1"}}}
			return nil
		}},
		{"many items sharing a key", []string{"/domain/cputune"}, func(d *libvirtxml.Domain) error {
			d.CPUTune = &libvirtxml.DomainCPUTune{}
			for i := range 40 { // past the labels' scan of earlier keys
				d.CPUTune.VCPUPin = append(d.CPUTune.VCPUPin, libvirtxml.DomainCPUTuneVCPUPin{VCPU: uint(i % 3), CPUSet: fmt.Sprint(i)})
			}
			return nil
		}},
		{"devices replaced wholesale", []string{"/domain/devices"}, func(d *libvirtxml.Domain) error {
			d.Devices = &libvirtxml.DomainDeviceList{Emulator: "/x", Disks: d.Devices.Disks[:1]}
			return nil
		}},
		{"devices whose only child marshals to nothing", []string{"/domain/devices/disk", "/domain/devices/interface"}, func(d *libvirtxml.Domain) error {
			d.Devices.Disks = append(d.Devices.Disks, libvirtxml.DomainDisk{Device: "cdrom", Source: &libvirtxml.DomainDiskSource{}})
			d.Devices.Interfaces = append(d.Devices.Interfaces, libvirtxml.DomainInterface{Source: &libvirtxml.DomainInterfaceSource{User: &libvirtxml.DomainInterfaceSourceUser{}}})
			return nil
		}},
		{"channels: one removed, one renamed, kinds of target", []string{"/domain/devices/channel"}, func(d *libvirtxml.Domain) error {
			chs := d.Devices.Channels
			if len(chs) < 2 {
				return fmt.Errorf("the stock domain has %d channels, want 2 or more", len(chs))
			}
			chs = chs[1:]
			chs[0].Target = &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "org.x,\"y\"", State: "connected"}}
			d.Devices.Channels = append(chs,
				libvirtxml.DomainChannel{Target: &libvirtxml.DomainChannelTarget{Xen: &libvirtxml.DomainChannelTargetXen{Name: "xen.0"}}},
				libvirtxml.DomainChannel{Target: &libvirtxml.DomainChannelTarget{GuestFWD: &libvirtxml.DomainChannelTargetGuestFWD{Address: "10.0.0.1", Port: "9"}}},
				libvirtxml.DomainChannel{Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}}, Target: &libvirtxml.DomainChannelTarget{}},
				libvirtxml.DomainChannel{Source: &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}}},
				libvirtxml.DomainChannel{Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "xen.0"}}},
			)
			return nil
		}},
		{"redirdevs and channels: source kinds changed in place, bare ones added", []string{"/domain/devices/redirdev", "/domain/devices/channel"}, func(d *libvirtxml.Domain) error {
			if len(d.Devices.RedirDevs) < 2 || len(d.Devices.Channels) < 1 {
				return fmt.Errorf("the stock domain has %d redirdevs and %d channels", len(d.Devices.RedirDevs), len(d.Devices.Channels))
			}
			d.Devices.RedirDevs[0].Source = &libvirtxml.DomainChardevSource{TCP: &libvirtxml.DomainChardevSourceTCP{Mode: "connect", Host: "h", Service: "4000"}}
			d.Devices.RedirDevs[1].Bus = "usb2"
			d.Devices.Channels[0].Source = &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{}} // writes no <source>
			d.Devices.RedirDevs = append(d.Devices.RedirDevs,
				libvirtxml.DomainRedirDev{Bus: "usb", Source: &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}}},
				libvirtxml.DomainRedirDev{Source: &libvirtxml.DomainChardevSource{}},
				libvirtxml.DomainRedirDev{Bus: "usb", Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{Path: "/dev/pts/3"}}},
			)
			d.Devices.Channels = append(d.Devices.Channels, libvirtxml.DomainChannel{Source: &libvirtxml.DomainChardevSource{Null: &libvirtxml.DomainChardevSourceNull{}, VC: &libvirtxml.DomainChardevSourceVC{}}})
			return nil
		}},
		{"channel target state set in place", []string{"/domain/devices/channel/target"}, func(d *libvirtxml.Domain) error {
			for i := range d.Devices.Channels {
				if tg := d.Devices.Channels[i].Target; tg != nil && tg.VirtIO != nil {
					tg.VirtIO.State = "disconnected"
				}
			}
			return nil
		}},
		{"devices gone", []string{"/domain/devices/disk"}, func(d *libvirtxml.Domain) error { d.Devices = nil; return nil }},
	}
	// Twice, the second time backwards: each Take reuses the memory of a
	// snapshot of another shape (the cases share scopes: /domain always).
	for pass := range 2 {
		for i := range cases {
			c := cases[i]
			if pass == 1 {
				c = cases[len(cases)-1-i]
			}
			t.Run(fmt.Sprintf("%s/pass%d", c.name, pass), func(t *testing.T) {
				sameAsXML(t, stockDomain(t, "../layers/testdata/everything.json"), c.writes, c.mutate)
			})
		}
	}
}

// TestTypedMatchesXMLOnCorpus runs each golden command of overlay/layers
// through the start with every layer's Apply wrapped: the typed record of
// what the layer did must equal the XML diff, on the layer's scope and on
// the whole domain.
func TestTypedMatchesXMLOnCorpus(t *testing.T) {
	files, _ := filepath.Glob("../layers/testdata/*.json")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			var order []layer.Layer
			for _, l := range layers.Order {
				apply := l.Apply
				writes := l.Writes
				l.Apply = func(c *layer.Context) error {
					var err error
					sameAsXML(t, c.Domain, writes, func(*libvirtxml.Domain) error { err = apply(c); return nil })
					n++
					return err
				}
				order = append(order, l)
			}
			target := start.Offline{Config: vmplugin.Config{DomainType: "kvm", Arch: vmplugin.ArchX86_64}, Host: buildHost, Layer: corpusHost{}}
			ls := start.Layers{Order: order, Config: layer.Config{QemuArgsAllow: []string{`.*`}, NVRAMDir: "/var/lib/libvirt/qemu/nvram"}}
			if _, err := start.Run(context.Background(), body, ls, target, start.Options{}); err != nil && !errors.Is(err, context.Canceled) {
				t.Logf("start failed (the golden says so too): %v", err)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d layer runs compared", n)
	}
}

type corpusHost struct{}

func (corpusHost) OnlineCPUs() ([]int, error)           { return []int{0, 1, 2, 3}, nil }
func (corpusHost) FreeHugepages(uint64) (uint64, error) { return 1 << 20, nil }
func (corpusHost) HasVhostNet() bool                    { return true }
func (corpusHost) OVMF(secure bool) (string, string, error) {
	if secure {
		return "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", nil
	}
	return "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", nil
}

// BenchmarkRecord is the chain's provenance alone, per layer of the
// richest golden command: Take of the layer's scope on the domain before
// it, Changes on the domain after it (both captured from a start).
func BenchmarkRecord(b *testing.B) {
	body, err := os.ReadFile("../layers/testdata/everything.json")
	if err != nil {
		b.Fatal(err)
	}
	type step struct {
		name          string
		scope         *provenance.Scope
		before, after *libvirtxml.Domain
	}
	var steps []step
	clone := func(d *libvirtxml.Domain) *libvirtxml.Domain {
		c, _ := copyOf(b, d)
		return &c
	}
	var order []layer.Layer
	for _, l := range layers.Order {
		apply := l.Apply
		l.Apply = func(c *layer.Context) error {
			before := clone(c.Domain)
			err := apply(c)
			steps = append(steps, step{l.Name, provenance.ScopeOf(l.Writes), before, clone(c.Domain)})
			return err
		}
		order = append(order, l)
	}
	target := start.Offline{Config: vmplugin.Config{DomainType: "qemu", Arch: vmplugin.ArchX86_64}, Host: buildHost, Layer: corpusHost{}}
	ls := start.Layers{Order: order, Config: layer.Config{
		QemuArgsAllow: []string{`-global kvm-pit\.lost_tick_policy=(delay|discard)`}, NVRAMDir: "/var/lib/libvirt/qemu/nvram",
	}}
	if _, err := start.Run(context.Background(), body, ls, target, start.Options{}); err != nil {
		b.Fatal(err)
	}
	record := func(b *testing.B, s step) {
		tk, err := provenance.Take(s.before, s.scope)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tk.Changes(s.after); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("chain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range steps {
				record(b, s)
			}
		}
	})
	for _, s := range steps {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				record(b, s)
			}
		})
	}
}

// TestTypedPairedInPlace: items edited in place, keys kept (the walk pairs
// them by place and labels only those that differ), among repeated keys
// and unkeyed siblings.
func TestTypedPairedInPlace(t *testing.T) {
	for _, c := range []struct {
		name   string
		writes []string
		before func(*libvirtxml.Domain)
		mutate func(*libvirtxml.Domain) error
	}{
		{"repeated keys", []string{"/domain/cputune/vcpupin"}, func(d *libvirtxml.Domain) {
			d.CPUTune = &libvirtxml.DomainCPUTune{VCPUPin: []libvirtxml.DomainCPUTuneVCPUPin{
				{VCPU: 0, CPUSet: "a"}, {VCPU: 0, CPUSet: "b"}, {VCPU: 1, CPUSet: "c"}, {VCPU: 0, CPUSet: "d"}, {VCPU: 2, CPUSet: "e"},
			}}
		}, func(d *libvirtxml.Domain) error {
			d.CPUTune.VCPUPin[1].CPUSet = "B"
			d.CPUTune.VCPUPin[3].CPUSet = "D"
			d.CPUTune.VCPUPin[4].CPUSet = "E"
			return nil
		}},
		{"unkeyed siblings", []string{"/domain/os/initarg", "/domain/os/initenv"}, func(d *libvirtxml.Domain) {
			d.OS.InitArgs = []string{"a", "b", "c"}
			d.OS.InitEnv = []libvirtxml.DomainOSInitEnv{{Name: "X", Value: "1"}}
		}, func(d *libvirtxml.Domain) error {
			d.OS.InitArgs[1] = "B"
			d.OS.InitEnv[0].Value = "2"
			return nil
		}},
		{"key part empty on some", []string{"/domain/devices/disk"}, func(d *libvirtxml.Domain) {
			// a source: the reference's unmarshal gives a disk without one a file source
			file := func() *libvirtxml.DomainDiskSource {
				return &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{}}
			}
			d.Devices.Disks = append(d.Devices.Disks, libvirtxml.DomainDisk{Device: "cdrom", Source: file()},
				libvirtxml.DomainDisk{Device: "cdrom", Source: file(), Target: &libvirtxml.DomainDiskTarget{}})
		}, func(d *libvirtxml.Domain) error {
			n := len(d.Devices.Disks)
			d.Devices.Disks[n-1].Device, d.Devices.Disks[n-2].Snapshot = "floppy", "no"
			return nil
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := stockDomain(t, "../layers/testdata/everything.json")
			c.before(d)
			sameAsXML(t, d, c.writes, c.mutate)
		})
	}
}

// TestConcurrentRecords: records from several goroutines at once (the
// agent's concurrent starts) build and share the per-type plans and the
// pooled walkers; run alone under -race it checks their first building.
func TestConcurrentRecords(t *testing.T) {
	scope := provenance.ScopeOf([]string{"/domain/devices/disk/driver/@io", "/domain/os/loader"})
	errs := make(chan error, 8)
	for range 8 {
		d := stockDomain(t, "../layers/testdata/everything.json")
		go func() {
			tk, err := provenance.Take(d, scope)
			if err == nil {
				d.Devices.Disks[0].Driver.IO = "threads"
				d.OS.Loader = &libvirtxml.DomainLoader{Path: "/x.fd"}
				var cs []provenance.Change
				if cs, err = tk.Changes(d); err == nil && len(cs) != 2 {
					err = fmt.Errorf("want 2 changes, got %s", lines(cs))
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// FuzzTypedMatchesXML feeds any start command through the chain with the
// whole-domain cross-check on: whatever the layers make of it, the typed
// record must agree with the XML diff (a refusal is fine, a provenance
// disagreement is not).
//
//	go test -run '^$' -fuzz FuzzTypedMatchesXML -fuzztime 60s -parallel 1 ./overlay/provenance/
func FuzzTypedMatchesXML(f *testing.F) {
	files, _ := filepath.Glob("../layers/testdata/*.json")
	for _, file := range files {
		if body, err := os.ReadFile(file); err == nil && !strings.HasSuffix(file, ".config.json") {
			f.Add(body)
		}
	}
	target := start.Offline{Config: vmplugin.Config{DomainType: "kvm", Arch: vmplugin.ArchX86_64}, Host: buildHost, Layer: corpusHost{}}
	ls := start.Layers{Order: layers.Order, Config: layer.Config{QemuArgsAllow: []string{"-global .*"}, NVRAMDir: "/var/lib/libvirt/qemu/nvram"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := start.Run(context.Background(), body, ls, target, start.Options{FullDiff: true})
		if err != nil && strings.Contains(err.Error(), "provenance: ") {
			t.Fatal(err)
		}
	})
}
