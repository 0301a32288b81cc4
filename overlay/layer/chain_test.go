package layer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
)

func newCtx(policy string) *Context {
	return &Context{
		Ctx: context.Background(),
		Cmd: &excmd.StartVmExCmd{},
		Domain: &libvirtxml.Domain{Type: "kvm", Name: "vm", Devices: &libvirtxml.DomainDeviceList{
			Disks: []libvirtxml.DomainDisk{{Device: "disk", Driver: &libvirtxml.DomainDiskDriver{Name: "qemu"}, Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"}}},
		}},
		Config: Config{ConflictPolicy: policy},
	}
}

func setIO(name, io string, overrides ...string) Layer {
	return Layer{Name: name, Writes: []string{"/domain/devices/disk/driver/@io"}, Overrides: overrides,
		Apply: func(c *Context) error { c.Domain.Devices.Disks[0].Driver.IO = io; return nil }}
}

func TestRun(t *testing.T) {
	skipped := Layer{Name: "skipped", Writes: []string{"/domain/title"}, Applies: func(*Context) bool { return false },
		Apply: func(c *Context) error { c.Domain.Title = "x"; return nil }}
	res, err := Run(newCtx(""), []Layer{skipped, setIO("a", "native")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 1 || res.Applied[0] != "a" || len(res.Changes) != 1 || res.Changes[0].Path != "/domain/devices/disk[target=vda]/driver/@io" || res.Changes[0].Layer != "a" {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(res.FinalXML, `io="native"`) || strings.Contains(res.StockXML, `io=`) {
		t.Errorf("stock/final XML:\n%s\n%s", res.StockXML, res.FinalXML)
	}

	cause := errors.New("boom")
	_, err = Run(newCtx(""), []Layer{{Name: "bad", Writes: []string{"/domain"}, Apply: func(*Context) error { return cause }}})
	if !errors.Is(err, cause) || err.Error() != "layer/bad: boom" {
		t.Errorf("error %v", err)
	}
}

func TestRunConflicts(t *testing.T) {
	_, err := Run(newCtx("fail"), []Layer{setIO("a", "native"), setIO("b", "threads")})
	var c Conflict
	if !errors.As(err, &c) || err.Error() != `layer/b: layers "a" and "b" both wrote /domain/devices/disk[target=vda]/driver/@io` {
		t.Errorf("error %v", err)
	}
	res, err := Run(newCtx("warn"), []Layer{setIO("a", "native"), setIO("b", "threads")})
	if err != nil || len(res.Conflicts) != 1 || res.Conflicts[0] != (Conflict{First: "a", Second: "b", Path: "/domain/devices/disk[target=vda]/driver/@io"}) {
		t.Errorf("warn: %+v %v", res.Conflicts, err)
	}
	res, err = Run(newCtx("fail"), []Layer{setIO("a", "native"), setIO("b", "threads", "a")})
	if err != nil || len(res.Changes) != 2 || res.Changes[1].OverrodeLayer != "a" {
		t.Errorf("override: %+v %v", res.Changes, err)
	}
	if !strings.Contains(res.Explain(), "[overrides a: acknowledged]") {
		t.Errorf("explain:\n%s", res.Explain())
	}
	// removing an element another layer wrote inside is a conflict too
	remove := Layer{Name: "rm", Writes: []string{"/domain/devices/disk"}, Apply: func(c *Context) error { c.Domain.Devices.Disks = nil; return nil }}
	_, err = Run(newCtx("fail"), []Layer{setIO("a", "native"), remove})
	if err == nil || err.Error() != `layer/rm: layers "a" and "rm" both wrote /domain/devices/disk[target=vda]/driver/@io` {
		t.Errorf("remove: %v", err)
	}
	// the same layer may rewrite its own path
	twice := setIO("a", "native")
	if _, err := Run(newCtx("fail"), []Layer{twice}); err != nil {
		t.Error(err)
	}
	if _, err := Run(newCtx("sometimes"), nil); err == nil || !strings.Contains(err.Error(), `conflict policy "sometimes"`) {
		t.Errorf("policy: %v", err)
	}
}

func TestRunUndeclared(t *testing.T) {
	sneaky := Layer{Name: "sneaky", Writes: []string{"/domain/title"}, Apply: func(c *Context) error { c.Domain.Description = "x"; return nil }}
	full := func(policy string) *Context { c := newCtx(policy); c.FullDiff = true; return c }
	_, err := Run(full("fail"), []Layer{sneaky})
	if err == nil || err.Error() != "layer/sneaky: wrote /domain/description, which is not among its declared writes" {
		t.Errorf("error %v", err)
	}
	res, err := Run(full("warn"), []Layer{sneaky})
	if err != nil || len(res.Undeclared) != 1 {
		t.Errorf("warn: %+v %v", res.Undeclared, err)
	}
	// Without the whole-domain cross-check only the declared part is
	// recorded: the write outside it goes unseen (the price of recording at
	// the cost of the edits; the agent samples FullDiff, tests always run it).
	res, err = Run(newCtx("fail"), []Layer{sneaky})
	if err != nil || len(res.Changes) != 0 {
		t.Errorf("declared part only: %+v %v", res.Changes, err)
	}
	// a write inside the declared part but outside the declared path is caught without it
	inside := Layer{Name: "inside", Writes: []string{"/domain/devices/disk/driver/@io"}, Apply: func(c *Context) error {
		c.Domain.Devices.Disks[0].Driver.Cache = "none"
		return nil
	}}
	if _, err := Run(newCtx("fail"), []Layer{inside}); err == nil || !strings.Contains(err.Error(), "driver/@cache, which is not among its declared writes") {
		t.Errorf("inside: %v", err)
	}
	// a container added for a declared write is within it
	mb := Layer{Name: "mb", Writes: []string{"/domain/memoryBacking/hugepages"}, Apply: func(c *Context) error {
		c.Domain.MemoryBacking = &libvirtxml.DomainMemoryBacking{MemoryHugePages: &libvirtxml.DomainMemoryHugepages{}}
		return nil
	}}
	if _, err := Run(newCtx("fail"), []Layer{mb}); err != nil {
		t.Error(err)
	}
}

func TestRunCancelled(t *testing.T) {
	c := newCtx("")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Ctx = ctx
	if _, err := Run(c, []Layer{setIO("a", "native")}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v", err)
	}
}

func TestValidateOrder(t *testing.T) {
	ok := setIO("a", "native")
	err := ValidateOrder([]Layer{ok, setIO("a", "x"), setIO("Bad_Name", "x"), setIO("c", "x", "zz"), setIO("d", "x", "e"), setIO("e", "x"),
		{Name: "f", Writes: []string{"/domain/devices/disk[target=vda]"}}})
	want := []string{
		`layer/a: listed twice in the order (positions 0 and 1)`,
		`layer 2: name "Bad_Name": want lower-case words joined by dashes`,
		`layer/f: no Apply`,
		`layer/f: write "/domain/devices/disk[target=vda]" is not a declared path (/domain/element/.../@attribute, no predicates)`,
		`layer/c: overrides "zz", which is not in the order`,
		`layer/d: overrides "e", which does not run before it`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	if err := ValidateOrder([]Layer{ok, setIO("b", "x", "a")}); err != nil {
		t.Error(err)
	}
}

func TestCheckDeclarations(t *testing.T) {
	disk := Layer{Name: "disk", Writes: []string{"/domain/devices/disk"}}
	os := Layer{Name: "os", Writes: []string{"/domain/os/loader"}}
	both := Layer{Name: "both", Writes: []string{"/domain/os/loader", "/domain/os/loader/@type"}}
	cases := []struct {
		name   string
		layers []Layer
		want   []string
	}{
		{"acknowledged win left out", []Layer{disk, setIO("a", "x"), setIO("b", "x", "a", "disk"), os},
			[]string{`2 layers may write /domain/devices/disk/driver/@io: "disk" (declared /domain/devices/disk), "a"`}},
		{"none", []Layer{disk, os}, nil},
		{"three on one path, one finding", []Layer{setIO("a", "x"), setIO("b", "x"), setIO("c", "x")},
			[]string{`3 layers may write /domain/devices/disk/driver/@io: "a", "b", "c"`}},
		{"same layers below are not repeated", []Layer{os, both},
			[]string{`2 layers may write /domain/os/loader: "os", "both"`}},
		{"override of one of two earlier", []Layer{setIO("a", "x"), setIO("b", "x"), setIO("c", "x", "a", "b")},
			[]string{`2 layers may write /domain/devices/disk/driver/@io: "a", "b"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s []string
			for _, c := range CheckDeclarations(tc.layers) {
				s = append(s, c.Error())
			}
			if strings.Join(s, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(s, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestCheckDeclarationsMany: 10,000 layers writing one path give one
// finding (not N(N-1)/2), listing them all and naming the first few, in
// memory linear in the layers.
func TestCheckDeclarationsMany(t *testing.T) {
	const n = 10000
	ls := make([]Layer, n)
	for i := range ls {
		ls[i] = Layer{Name: fmt.Sprintf("vm-%d", i), Writes: []string{"/domain/cputune/shares", "/domain/cputune/vcpupin/@cpuset"}}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := CheckDeclarations(ls)
	runtime.ReadMemStats(&after)
	if len(got) != 2 || len(got[0].Layers) != n || !strings.Contains(got[0].Error(), "and 9992 more") {
		t.Fatalf("%d findings; first %.200s", len(got), got[0].Error())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB for %d layers", alloc>>20, n)
	} else {
		t.Logf("allocated %.1f MiB for %d layers", float64(alloc)/(1<<20), n)
	}
}

// recIO is setIO as a layer that reports its write (Layer.Records); report
// false writes the same without reporting it.
func recIO(name, io string, report bool) Layer {
	return Layer{Name: name, Writes: []string{"/domain/devices/disk/driver/@io"}, Records: true,
		Apply: func(c *Context) error {
			disks := c.Domain.Devices.Disks
			was := disks[0].Driver
			driver := *was
			driver.IO = io
			disks[0].Driver = &driver
			if report {
				c.Changed("/domain/devices/disk[target=vda]", &disks[0], Before("driver", was))
			}
			return nil
		}}
}

func TestRunRecorded(t *testing.T) {
	want := Change{Layer: "a", Path: "/domain/devices/disk[target=vda]/driver/@io", Op: OpAdded, New: "native"}
	for _, full := range []bool{false, true} {
		ctx := newCtx("")
		ctx.FullDiff = full
		res, err := Run(ctx, []Layer{recIO("a", "native", true)})
		if err != nil || len(res.Changes) != 1 || res.Changes[0] != want {
			t.Errorf("full diff %v: %+v, %v", full, res.Changes, err)
		}
	}
	// The recorded change is owned like a compared one: a later layer
	// writing the same path conflicts.
	_, err := Run(newCtx("fail"), []Layer{recIO("a", "native", true), setIO("b", "threads")})
	if !errors.As(err, new(Conflict)) {
		t.Errorf("conflict: %v", err)
	}
}

func TestRunRecordedChecked(t *testing.T) {
	tests := []struct {
		name  string
		layer Layer
		full  bool
		want  string // "" for no error
	}{
		// Without the full diff an unreported write is not seen: that is
		// the price of not comparing, paid back by the sampled full diff.
		{"unreported, no full diff", recIO("a", "native", false), false, ""},
		{"unreported", recIO("a", "native", false), true, "which the layer did not report"},
		{"reported, not made", Layer{Name: "a", Writes: []string{"/domain/title"}, Records: true, Apply: func(c *Context) error {
			c.Changed("/domain", c.Domain, Before("title", "old"))
			return nil
		}}, true, "which the whole domain does not show"},
		{"reported outside its writes", Layer{Name: "a", Writes: []string{"/domain/description"}, Records: true, Apply: func(c *Context) error {
			c.Domain.Title = "new"
			c.Changed("/domain", c.Domain, Before("title", ""))
			return nil
		}}, false, "wrote /domain/title, which is not among its declared writes"},
		{"a bad report", Layer{Name: "a", Writes: []string{"/domain/title"}, Records: true, Apply: func(c *Context) error {
			c.Changed("/domain", c.Domain, Before("nosuch", ""))
			return nil
		}}, false, `has no child element "nosuch"`},
	}
	for _, tc := range tests {
		ctx := newCtx("fail")
		ctx.FullDiff = tc.full
		_, err := Run(ctx, []Layer{tc.layer})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestRunSummaries: an added element carries its summary only when asked
// (Explain, or the full diff); its path is the same either way.
func TestRunSummaries(t *testing.T) {
	addTitle := func(records bool) Layer {
		return Layer{Name: "title", Writes: []string{"/domain/title"}, Records: records, Apply: func(c *Context) error {
			c.Domain.Title = "web"
			c.Changed("/domain", c.Domain, Before("title", ""))
			return nil
		}}
	}
	for _, records := range []bool{false, true} {
		for _, tc := range []struct {
			explain, full bool
			want          string
		}{{false, false, ""}, {true, false, "<title>web</title>"}, {false, true, "<title>web</title>"}} {
			ctx := newCtx("")
			ctx.Explain, ctx.FullDiff = tc.explain, tc.full
			res, err := Run(ctx, []Layer{addTitle(records)})
			if err != nil || len(res.Changes) != 1 || res.Changes[0].Path != "/domain/title" || res.Changes[0].Op != OpAdded || res.Changes[0].New != tc.want {
				t.Errorf("records %v, explain %v, full diff %v: %+v, %v; want New %q", records, tc.explain, tc.full, res.Changes, err, tc.want)
			}
		}
	}
}
