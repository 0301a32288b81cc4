package declarative

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/strataagent/strata/overlay/layer"
)

// allocated runs f and returns the bytes it allocated (TotalAlloc, which
// bounds the peak heap it can have caused), logging the peak live heap
// sampled while it ran (for the record; only TotalAlloc is asserted).
func allocated(t *testing.T, f func()) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	f()
	close(done)
	<-stopped
	runtime.ReadMemStats(&after)
	t.Logf("peak live heap %.1f MiB (%.1f MiB before)", float64(peak.Load())/(1<<20), float64(before.HeapAlloc)/(1<<20))
	return after.TotalAlloc - before.TotalAlloc
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestConfigBounds: configs that made the agent's memory grow with the
// square of their size (or without bound) are refused at load, naming
// file, line and key, in memory linear in the file.
func TestConfigBounds(t *testing.T) {
	entriesOf := func(n int, op string) string {
		var b strings.Builder
		b.WriteString("layers:\n  declarative:\n")
		for i := range n {
			fmt.Fprintf(&b, "    - name: vm-%d\n      after: uefi\n      select: {uuid: %032x}\n      ops:\n        - %s\n", i, i+1, op)
		}
		return b.String()
	}
	cases := []struct {
		name    string
		config  string
		want    string // "" loads
		maxMiB  uint64
		overlap int // findings of CheckDeclarations after Place, when it loads
	}{
		{"20,000-segment path", "layers:\n  declarative:\n    - name: deep\n      after: uefi\n      select: {name: \"*\"}\n      ops:\n        - path: " + strings.Repeat("a/", 19999) + "a\n          delete: true\n",
			`:7: layers.declarative[0].ops[0].path "deep": 39999 bytes: at most 512`, 8, 0},
		{"20,000-level fragment", "layers:\n  declarative:\n    - name: deep\n      after: uefi\n      select: {name: \"*\"}\n      ops:\n        - path: devices/interface\n          merge: '<interface>" + strings.Repeat("<driver>", 20000) + strings.Repeat("</driver>", 20000) + "</interface>'\n",
			`:8: layers.declarative[0].ops[0].merge "deep": fragment of 340023 bytes: at most 65536`, 16, 0},
		{"10,001 entries", entriesOf(10001, "{path: features/pmu, create: {}}"),
			`:2: layers.declarative: 10001 entries: at most 10000`, 64, 0},
		{"10,000 entries writing one path", entriesOf(10000, "{path: cputune/shares, set: {'#text': 2048}}"),
			"", 600, 1},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\nlayers:\n  declarative: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
			`:8: layers.declarative: more than 1048576 YAML nodes`, 8, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := writeConfig(t, tc.config)
			var entries []Entry
			var err error
			var overlaps []layer.Overlap
			n := allocated(t, func() {
				entries, err = LoadFile(f)
				if err == nil {
					var order []layer.Layer
					order, err = Place(goOrder, entries)
					overlaps = layer.CheckDeclarations(order)
				}
			})
			t.Logf("%s: allocated %.1f MiB", tc.name, float64(n)/(1<<20))
			if n > tc.maxMiB<<20 {
				t.Errorf("allocated %d MiB, bound %d MiB", n>>20, tc.maxMiB)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(overlaps) != tc.overlap {
					t.Errorf("%d overlaps, want %d", len(overlaps), tc.overlap)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), f+tc.want) {
				t.Errorf("err = %.300v\nwant %s%s", err, f, tc.want)
			}
		})
	}
}

// TestConfigFileSize: a file beyond maxConfigBytes is refused unread.
// (A pipe is read up to the bound, then refused.)
func TestConfigFileSize(t *testing.T) {
	f := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(f, make([]byte, maxConfigBytes+10), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	n := allocated(t, func() { _, err = LoadFile(f) })
	if err == nil || !strings.Contains(err.Error(), "larger than 16777216 bytes") {
		t.Errorf("err = %v", err)
	}
	if n > 1<<20 {
		t.Errorf("allocated %d MiB", n>>20)
	}
	t.Logf("allocated %.1f MiB", float64(n)/(1<<20))
}

// TestRawScalars: values keep the text written (`version: 2.0` is "2.0",
// as virt-xml's --xml would take it), through LoadFile and LoadNode.
func TestRawScalars(t *testing.T) {
	f := writeConfig(t, `layers:
  declarative:
    - name: raw
      after: uefi
      select: {name: "*"}
      ops:
        - path: title
          set: {"#text": 0x10}
        - path: devices/interface/driver
          set: {queues: 04, name: qemu}
        - path: sysinfo/bios/entry
          match: name=version
          nth: 1
          set: {"#text": 2.0}
`)
	entries, err := LoadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	ops := entries[0].Ops
	for _, c := range []struct{ got, want string }{
		{ops[0].Set["#text"], "0x10"}, {ops[1].Set["queues"], "04"}, {ops[2].Set["#text"], "2.0"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if ops[2].Nth != 1 {
		t.Errorf("nth = %d", ops[2].Nth)
	}
}

// TestErrorsCapped: a config of many bad entries reports the first
// maxReported and counts the rest, so one reload's log stays small.
func TestErrorsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("layers:\n  declarative:\n")
	for i := range 60 {
		fmt.Fprintf(&b, "    - name: vm-%d\n      after: uefi\n      select: {name: \"*\"}\n      ops: [{path: devices/disk, nht: 2, delete: true}]\n", i)
	}
	_, err := LoadFile(writeConfig(t, b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxReported+1 || !strings.HasSuffix(lines[len(lines)-1], ":2: layers.declarative: and 10 more bad entries") {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}
