package linux2

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/strataagent/strata/upstream/linux"
	"github.com/strataagent/strata/upstream/shell"
)

// Runner runs one program given as argv and returns its stdout; a non-zero
// exit is an error carrying stderr. shell.Runner satisfies it.
type Runner interface {
	Call(ctx context.Context, argv ...string) (string, error)
}

// Host reads the machine's state below Root and runs programs through Run.
// The zero value reads the running machine ("" is "/"), like NewHost; tests
// set Root to a fixture tree and Run to a fake.
type Host struct {
	Root    string // "/" in production; a fixture tree in tests
	Run     Runner // nil = shell.Runner{} (argv only, timeout, stderr in errors)
	QemuImg string // qemu-img to run; "" = upstream's linux.QemuImgPath()
}

// NewHost is the running machine: Root "/", upstream's shell runner.
func NewHost() *Host {
	return &Host{Root: "/", Run: shell.Runner{}}
}

// path maps a host-absolute path under Root.
func (h *Host) path(hostPath string) string {
	root := h.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, hostPath)
}

func (h *Host) runner() Runner {
	if h.Run == nil {
		return shell.Runner{}
	}
	return h.Run
}

// Upstream is upstream/linux's Root over the same tree, so its helpers
// (CPUNum, TotalMemory, ...) read what this Host reads.
func (h *Host) Upstream() linux.Root {
	return linux.Root{Proc: h.path("/proc"), Sys: h.path("/sys"), Dev: h.path("/dev")}
}

// readText reads a host file below Root; the error names the file read.
func (h *Host) readText(hostPath string) (string, error) {
	p := h.path(hostPath)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return string(b), nil
}

// readUint reads a file holding one unsigned decimal number (sysfs style).
func (h *Host) readUint(hostPath string) (uint64, error) {
	s, err := h.readText(hostPath)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", h.path(hostPath), err)
	}
	return n, nil
}

// readInt reads a file holding one signed decimal number (topology ids may be -1).
func (h *Host) readInt(hostPath string) (int, error) {
	s, err := h.readText(hostPath)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", h.path(hostPath), err)
	}
	return n, nil
}

// exists reports whether a host path exists below Root (following symlinks).
func (h *Host) exists(hostPath string) bool {
	_, err := os.Stat(h.path(hostPath))
	return err == nil
}

// Interface guard: the overlay's host interface (overlay/layer), spelled out
// here because linux2 must not import the overlay.
var _ interface {
	OnlineCPUs() ([]int, error)
	FreeHugepages(sizeKiB uint64) (uint64, error)
	OVMF(secureBoot bool) (code, varsTemplate string, err error)
	HasVhostNet() bool
} = (*Host)(nil)
