package linux2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind (the
// capacity cache starts one per read).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a Host over testdata/<name>, a tree shaped like / (sys/, proc/,
// usr/, etc/, dev/).
func fixture(name string) *Host { return &Host{Root: filepath.Join("testdata", name)} }

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

func TestUpstreamRootFollowsHostRoot(t *testing.T) {
	tests := []struct {
		name, root, proc, sys, dev string
	}{
		{"production", "/", "/proc", "/sys", "/dev"},
		{"unset root is /", "", "/proc", "/sys", "/dev"},
		{"fixture", "testdata/bigbox", "testdata/bigbox/proc", "testdata/bigbox/sys", "testdata/bigbox/dev"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := (&Host{Root: tc.root}).Upstream()
			if r.Proc != tc.proc || r.Sys != tc.sys || r.Dev != tc.dev {
				t.Fatalf("Upstream() = %+v, want proc %s sys %s dev %s", r, tc.proc, tc.sys, tc.dev)
			}
		})
	}
}

func TestNewHostIsTheRunningMachine(t *testing.T) {
	h := NewHost()
	if h.Root != "/" || h.Run == nil {
		t.Fatalf("NewHost() = %+v, want Root / and a runner", h)
	}
}

func TestReadErrorsNameTheFile(t *testing.T) {
	h := fixture("nonexistent")
	_, err := h.OnlineCPUs()
	wantErr(t, err, "read testdata/nonexistent/sys/devices/system/cpu/online")
	_, err = h.Hugepages()
	wantErr(t, err, "read testdata/nonexistent/proc/meminfo")
}

// writeTree writes files (path relative to root → content) for one test.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestThisHost reads the running machine, to catch a sysfs or procfs shape
// the fixtures miss.
func TestThisHost(t *testing.T) {
	if _, err := os.Stat("/sys/devices/system/cpu/online"); err != nil {
		t.Skip("no sysfs here")
	}
	h := NewHost()
	cpus, err := h.OnlineCPUs()
	if err != nil || len(cpus) == 0 {
		t.Fatalf("OnlineCPUs() = %v, %v", cpus, err)
	}
	topo, err := h.CPUTopology()
	if err != nil || len(topo) != len(cpus) {
		t.Fatalf("CPUTopology() = %+v, %v", topo, err)
	}
	if _, err := h.Hugepages(); err != nil {
		t.Fatalf("Hugepages(): %v", err)
	}
	if _, err := h.Capacity(t.Context()); err != nil {
		t.Fatalf("Capacity(): %v", err)
	}
	_, vhostErr := os.Stat("/dev/vhost-net")
	if got := h.HasVhostNet(); got != (vhostErr == nil) {
		t.Fatalf("HasVhostNet() = %v, stat says %v", got, vhostErr)
	}
}
