// Package doctor is `strata-agent doctor`: a preflight of the host in the
// spirit of virt-host-validate. Each check prints one line, PASS, WARN or
// FAIL, with what it found and, when it did not pass, the fix; the exit
// code is the worst result (0 pass, 1 warn, 2 fail).
//
// Every check reads the host through Env, so tests run them on fixture
// trees (Env.Root) with fake libvirt and port probes.
package doctor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
)

// Level is a check's result; higher is worse.
type Level int

// The results, in order of severity.
const (
	Pass Level = iota
	Warn
	Fail
)

func (l Level) String() string { return [...]string{"PASS", "WARN", "FAIL"}[l] }

// Result is one check's line.
type Result struct {
	Level Level
	Check string
	Found string
	Fix   string // empty for a pass
}

func (r Result) String() string {
	if r.Level == Pass || r.Fix == "" {
		return fmt.Sprintf("%s  %-14s %s", r.Level, r.Check, r.Found)
	}
	return fmt.Sprintf("%s  %-14s %s; fix: %s", r.Level, r.Check, r.Found, r.Fix)
}

// Port is one listener the agent would open.
type Port struct{ Role, Addr string }

// Config is what the checks read from the agent's configuration.
type Config struct {
	LibvirtURI  string
	Timeout     time.Duration // for the libvirt probe
	DomainType  string        // kvm or qemu
	Emulator    string        // vm.emulator; "" for the stock search order
	ManagedDirs []string
	NVRAMDir    string
	Bridges     []string // named by the configuration or a layer
	Ports       []Port
}

// Env is the host as the checks see it.
type Env struct {
	Root     string                                                  // "/" on the host; a fixture tree in tests
	LookPath func(name string) (string, error)                       // exec.LookPath
	Listen   func(addr string) error                                 // nil when the address can be bound now
	Libvirt  func(uri string, timeout time.Duration) (string, error) // the library version libvirtd reports
}

// System is this machine.
func System() Env {
	return Env{Root: "/", LookPath: exec.LookPath, Listen: probeListen, Libvirt: probeLibvirt}
}

func probeListen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

func probeLibvirt(uri string, timeout time.Duration) (string, error) {
	type answer struct {
		v   string
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		c, err := libvirt.NewConnect(uri)
		if err != nil {
			ch <- answer{err: err}
			return
		}
		defer c.Close()
		v, err := c.GetLibVersion()
		if err != nil {
			ch <- answer{err: err}
			return
		}
		ch <- answer{v: fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)}
	}()
	select {
	case a := <-ch:
		return a.v, a.err
	case <-time.After(timeout):
		return "", fmt.Errorf("no answer within %s", timeout)
	}
}

func (e Env) path(p string) string { return filepath.Join(e.Root, p) }

// Checks runs every check in order.
func Checks(cfg Config, env Env) []Result {
	var out []Result
	out = append(out, checkLibvirt(cfg, env), checkKVM(cfg, env), checkQemuImg(env), checkEmulator(cfg, env),
		checkOVMF(env), checkHugepages(env), checkVhostNet(env))
	for _, br := range cfg.Bridges {
		out = append(out, checkBridge(env, br))
	}
	for _, d := range cfg.ManagedDirs {
		out = append(out, checkWritable(env, "managed dir", d, "vm.managed_dirs"))
	}
	if cfg.NVRAMDir != "" {
		out = append(out, checkWritable(env, "nvram dir", cfg.NVRAMDir, "layers.uefi.nvram_dir"))
	}
	for _, p := range cfg.Ports {
		out = append(out, checkPort(env, p))
	}
	return out
}

// Run prints every check and returns the worst level.
func Run(w io.Writer, cfg Config, env Env) Level {
	worst := Pass
	for _, r := range Checks(cfg, env) {
		fmt.Fprintln(w, r)
		worst = max(worst, r.Level)
	}
	return worst
}

func checkLibvirt(cfg Config, env Env) Result {
	v, err := env.Libvirt(cfg.LibvirtURI, cfg.Timeout)
	if err != nil {
		return Result{Fail, "libvirt", fmt.Sprintf("%s unreachable: %v", cfg.LibvirtURI, err),
			"start libvirtd (systemctl start libvirtd) or set libvirt.uri"}
	}
	return Result{Pass, "libvirt", fmt.Sprintf("%s reachable (libvirt %s)", cfg.LibvirtURI, v), ""}
}

func rw(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

func checkKVM(cfg Config, env Env) Result {
	err := rw(env.path("/dev/kvm"))
	switch {
	case err == nil:
		return Result{Pass, "/dev/kvm", "present and usable", ""}
	case cfg.DomainType == "qemu":
		return Result{Warn, "/dev/kvm", fmt.Sprintf("unusable (%v); vm.domain_type is qemu, so guests run under TCG, slowly", errors.Unwrap(err)),
			"enable virtualisation in the firmware and load kvm_intel or kvm_amd"}
	}
	return Result{Fail, "/dev/kvm", fmt.Sprintf("unusable (%v) and vm.domain_type is kvm", errors.Unwrap(err)),
		"load kvm_intel or kvm_amd (modprobe), or set vm.domain_type: qemu"}
}

func checkQemuImg(env Env) Result {
	p, err := env.LookPath("qemu-img")
	if err != nil {
		return Result{Fail, "qemu-img", "not in PATH", "apt-get install qemu-utils"}
	}
	return Result{Pass, "qemu-img", p, ""}
}

// stockEmulators is the stock agent's search order when vm.emulator is unset.
var stockEmulators = []string{"/usr/libexec/qemu-kvm", "/bin/qemu-kvm", "/usr/bin/qemu-system-x86_64"}

func checkEmulator(cfg Config, env Env) Result {
	cands := stockEmulators
	if cfg.Emulator != "" {
		cands = []string{cfg.Emulator}
	}
	for _, c := range cands {
		if st, err := os.Stat(env.path(c)); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return Result{Pass, "emulator", c, ""}
		}
	}
	return Result{Fail, "emulator", "none of " + strings.Join(cands, ", ") + " is an executable file",
		"apt-get install qemu-system-x86, or set vm.emulator"}
}

func checkOVMF(env Env) Result {
	m, _ := filepath.Glob(env.path("/usr/share/OVMF/OVMF_CODE*.fd"))
	if len(m) == 0 {
		return Result{Warn, "ovmf", "no /usr/share/OVMF/OVMF_CODE*.fd: starts asking the machine layer for UEFI fail",
			"apt-get install ovmf"}
	}
	rel, _ := filepath.Rel(env.Root, m[0])
	return Result{Pass, "ovmf", "/" + rel, ""}
}

func checkHugepages(env Env) Result {
	mounts, _ := os.ReadFile(env.path("/proc/mounts"))
	mounted := ""
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[2] == "hugetlbfs" {
			mounted = f[1]
			break
		}
	}
	freeText, err := os.ReadFile(env.path("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"))
	free, _ := strconv.Atoi(strings.TrimSpace(string(freeText)))
	switch {
	case mounted == "":
		return Result{Warn, "hugepages", "no hugetlbfs mounted: starts asking for hugepages fail",
			"mount -t hugetlbfs hugetlbfs /dev/hugepages before libvirtd starts"}
	case err != nil || free == 0:
		return Result{Warn, "hugepages", "hugetlbfs at " + mounted + ", but no free 2 MiB page",
			"echo N > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"}
	}
	return Result{Pass, "hugepages", fmt.Sprintf("hugetlbfs at %s, %d free 2 MiB pages", mounted, free), ""}
}

func checkVhostNet(env Env) Result {
	if err := rw(env.path("/dev/vhost-net")); err != nil {
		return Result{Warn, "vhost-net", "/dev/vhost-net unusable: <driver name='vhost'> is refused; multiqueue with the qemu driver works",
			"modprobe vhost_net"}
	}
	return Result{Pass, "vhost-net", "/dev/vhost-net present", ""}
}

func checkBridge(env Env, br string) Result {
	if _, err := os.Stat(env.path(filepath.Join("/sys/class/net", br, "bridge"))); err != nil {
		return Result{Fail, "bridge " + br, "missing (named by the configuration)",
			"ip link add " + br + " type bridge && ip link set " + br + " up"}
	}
	return Result{Pass, "bridge " + br, "present", ""}
}

func checkWritable(env Env, what, dir, key string) Result {
	d, err := os.MkdirTemp(env.path(dir), ".strata-doctor-")
	if err != nil {
		return Result{Fail, what, fmt.Sprintf("%s not writable: %v", dir, errors.Unwrap(err)),
			"mkdir -p " + dir + " (as the agent's user), or change " + key}
	}
	_ = os.Remove(d)
	return Result{Pass, what, dir + " writable", ""}
}

func checkPort(env Env, p Port) Result {
	if err := env.Listen(p.Addr); err != nil {
		return Result{Fail, p.Role + " port", fmt.Sprintf("%s cannot be bound: %v", p.Addr, err),
			"stop what listens there (is strata-agent already running?) or change the " + p.Role + " address"}
	}
	return Result{Pass, p.Role + " port", p.Addr + " free", ""}
}
