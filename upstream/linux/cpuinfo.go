package linux

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuInfo is what the host plugin reads from /proc/cpuinfo.
type cpuInfo struct {
	processors int
	physIDs    map[string]bool
	lastMHz    string // the last "cpu MHz" value, as the seed's `tail -n 1`
	vmx, svm   bool
	vendor     string // vendor_id of the first processor
}

func parseCPUInfo(text string) cpuInfo {
	ci := cpuInfo{physIDs: map[string]bool{}}
	for _, line := range strings.Split(text, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "processor":
			ci.processors++
		case "physical id":
			ci.physIDs[val] = true
		case "cpu MHz":
			ci.lastMHz = val
		case "vendor_id":
			if ci.vendor == "" {
				ci.vendor = val
			}
		case "flags", "Features":
			for _, f := range strings.Fields(val) {
				ci.vmx = ci.vmx || f == "vmx"
				ci.svm = ci.svm || f == "svm"
			}
		}
	}
	return ci
}

func (r Root) cpuInfo() (cpuInfo, error) {
	text, err := readText(r.procPath("cpuinfo"))
	if err != nil {
		return cpuInfo{}, err
	}
	return parseCPUInfo(text), nil
}

// CPUNum is linux.get_cpu_num: the number of processors in /proc/cpuinfo.
func (r Root) CPUNum() (int, error) {
	ci, err := r.cpuInfo()
	if err != nil {
		return 0, fmt.Errorf("get cpu num: %w", err)
	}
	return ci.processors, nil
}

// CPUSpeed is linux.get_cpu_speed in MHz: cpu0's cpufreq maximum when the
// kernel has cpufreq, else the last "cpu MHz" of /proc/cpuinfo.
func (r Root) CPUSpeed() (int, error) {
	if s, err := readText(r.sysPath("devices", "system", "cpu", "cpu0", "cpufreq", "cpuinfo_max_freq")); err == nil {
		khz, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if perr != nil {
			return 0, fmt.Errorf("get cpu speed: parse cpuinfo_max_freq %q: %w", strings.TrimSpace(s), perr)
		}
		return int(khz / 1000), nil
	}
	ci, err := r.cpuInfo()
	if err != nil {
		return 0, fmt.Errorf("get cpu speed: %w", err)
	}
	if ci.lastMHz == "" {
		return 0, fmt.Errorf("get cpu speed: no cpufreq and no \"cpu MHz\" in %s", r.procPath("cpuinfo"))
	}
	mhz, err := strconv.ParseFloat(ci.lastMHz, 64)
	if err != nil {
		return 0, fmt.Errorf("get cpu speed: parse cpu MHz %q: %w", ci.lastMHz, err)
	}
	return int(mhz), nil
}

// CPUSockets counts the distinct "physical id" values; a kernel that lists
// none (many VMs, aarch64) counts as one socket.
func (r Root) CPUSockets() (int, error) {
	ci, err := r.cpuInfo()
	if err != nil {
		return 0, fmt.Errorf("get cpu sockets: %w", err)
	}
	if len(ci.physIDs) == 0 {
		return 1, nil
	}
	return len(ci.physIDs), nil
}

// HvmCPUFlag is "vmx" (Intel VT-x) or "svm" (AMD-V) when the CPU has it,
// else "": the host fact's hvmCpuFlag on x86. A nested host may hide both
// flags from its guest's /proc/cpuinfo and still offer a working /dev/kvm;
// there the flag of the CPU's vendor is reported, since the management node
// refuses a host without one although KVM runs on it (the seed reported none).
func (r Root) HvmCPUFlag() (string, error) {
	ci, err := r.cpuInfo()
	if err != nil {
		return "", fmt.Errorf("get hvm cpu flag: %w", err)
	}
	switch {
	case ci.vmx:
		return "vmx", nil
	case ci.svm:
		return "svm", nil
	}
	if r.Dev == "" || !kvmUsable(r.devPath("kvm")) {
		return "", nil
	}
	switch ci.vendor {
	case "GenuineIntel":
		return "vmx", nil
	case "AuthenticAMD", "HygonGenuine":
		return "svm", nil
	}
	return "", nil
}

// kvmUsable reports whether the KVM device opens for read and write, as
// qemu needs it to.
func kvmUsable(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// TotalMemory is MemTotal of /proc/meminfo in bytes.
func (r Root) TotalMemory() (int64, error) {
	text, err := readText(r.procPath("meminfo"))
	if err != nil {
		return 0, fmt.Errorf("get total memory: %w", err)
	}
	n, err := parseMemInfo(text, "MemTotal")
	if err != nil {
		return 0, fmt.Errorf("get total memory: %w", err)
	}
	return n, nil
}

// parseMemInfo returns key's value of /proc/meminfo in bytes (the file says kB).
func parseMemInfo(text, key string) (int64, error) {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s %q: %w", key, f[0], err)
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		return n, nil
	}
	return 0, fmt.Errorf("no %s in meminfo", key)
}

// GetCPUNum is linux.get_cpu_num on this machine.
func GetCPUNum() (int, error) { return System().CPUNum() }

// GetCPUSpeed is linux.get_cpu_speed on this machine, in MHz.
func GetCPUSpeed() (int, error) { return System().CPUSpeed() }

// GetCPUSockets counts this machine's CPU sockets.
func GetCPUSockets() (int, error) { return System().CPUSockets() }

// GetTotalMemory is this machine's MemTotal in bytes.
func GetTotalMemory() (int64, error) { return System().TotalMemory() }

// HvmCPUFlag is this machine's "vmx", "svm" or "".
func HvmCPUFlag() (string, error) { return System().HvmCPUFlag() }
