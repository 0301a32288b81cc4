package linux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Trimmed /proc/cpuinfo of a two-socket Intel host.
const cpuinfoIntel = `processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) CPU E5-2620 v4 @ 2.10GHz
cpu MHz		: 1200.000
physical id	: 0
flags		: fpu vme de pse tsc msr pae mce cx8 apic vmx smx est

processor	: 1
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) CPU E5-2620 v4 @ 2.10GHz
cpu MHz		: 2099.914
physical id	: 1
flags		: fpu vme de pse tsc msr pae mce cx8 apic vmx smx est
vmx flags	: vnmi preemption_timer invvpid ept_x_only

processor	: 2
vendor_id	: GenuineIntel
cpu MHz		: 1800.5
physical id	: 1
flags		: fpu vme de pse tsc msr pae mce cx8 apic vmx smx est
`

// An AMD guest: svm, one socket, a model name that says "Processor".
const cpuinfoAMD = `processor	: 0
vendor_id	: AuthenticAMD
model name	: AMD EPYC 7B13 64-Core Processor
cpu MHz		: 2445.412
physical id	: 0
flags		: fpu vme de pse tsc msr svm npt

processor	: 1
vendor_id	: AuthenticAMD
model name	: AMD EPYC 7B13 64-Core Processor
cpu MHz		: 2445.412
physical id	: 0
flags		: fpu vme de pse tsc msr svm npt
`

// A guest CPU without virtualisation flags or physical ids.
const cpuinfoPlain = `processor	: 0
model name	: QEMU Virtual CPU version 2.5+
cpu MHz		: 2000.000
flags		: fpu de pse tsc msr pae
`

const cpuinfoARM = `processor	: 0
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid
CPU implementer	: 0x41

processor	: 1
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid
CPU implementer	: 0x41
`

const meminfo = `MemTotal:       16318412 kB
MemFree:         1223456 kB
MemAvailable:    9876543 kB
`

// fakeHost writes cpuinfo and meminfo, and a cpufreq maximum unless maxFreq is "".
func fakeHost(t *testing.T, cpuinfo, maxFreq string) Root {
	t.Helper()
	r := Root{Proc: t.TempDir(), Sys: t.TempDir()}
	if err := os.WriteFile(filepath.Join(r.Proc, "cpuinfo"), []byte(cpuinfo), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Proc, "meminfo"), []byte(meminfo), 0o644); err != nil {
		t.Fatal(err)
	}
	if maxFreq != "" {
		d := filepath.Join(r.Sys, "devices", "system", "cpu", "cpu0", "cpufreq")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "cpuinfo_max_freq"), []byte(maxFreq), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestCPUFacts(t *testing.T) {
	tests := []struct {
		name, cpuinfo, maxFreq string
		num, speed, sockets    int
		hvm                    string
	}{
		{"intel with cpufreq", cpuinfoIntel, "3000000\n", 3, 3000, 2, "vmx"},
		{"intel without cpufreq: last cpu MHz", cpuinfoIntel, "", 3, 1800, 2, "vmx"},
		{"amd", cpuinfoAMD, "", 2, 2445, 1, "svm"},
		{"no flag, no physical id", cpuinfoPlain, "", 1, 2000, 1, ""},
		{"aarch64 with cpufreq", cpuinfoARM, "2200000", 2, 2200, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fakeHost(t, tc.cpuinfo, tc.maxFreq)
			if n, err := r.CPUNum(); err != nil || n != tc.num {
				t.Errorf("CPUNum = %d, %v; want %d", n, err, tc.num)
			}
			if n, err := r.CPUSpeed(); err != nil || n != tc.speed {
				t.Errorf("CPUSpeed = %d, %v; want %d", n, err, tc.speed)
			}
			if n, err := r.CPUSockets(); err != nil || n != tc.sockets {
				t.Errorf("CPUSockets = %d, %v; want %d", n, err, tc.sockets)
			}
			if f, err := r.HvmCPUFlag(); err != nil || f != tc.hvm {
				t.Errorf("HvmCPUFlag = %q, %v; want %q", f, err, tc.hvm)
			}
			if m, err := r.TotalMemory(); err != nil || m != 16318412*1024 {
				t.Errorf("TotalMemory = %d, %v", m, err)
			}
		})
	}
}

func TestCPUSpeedErrors(t *testing.T) {
	r := fakeHost(t, cpuinfoARM, "")
	if _, err := r.CPUSpeed(); err == nil || !strings.Contains(err.Error(), `no cpufreq and no "cpu MHz"`) {
		t.Errorf("no source: err = %v", err)
	}
	r = fakeHost(t, cpuinfoARM, "fast")
	if _, err := r.CPUSpeed(); err == nil || !strings.Contains(err.Error(), "cpuinfo_max_freq") {
		t.Errorf("bad cpufreq: err = %v", err)
	}
	missing := Root{Proc: filepath.Join(t.TempDir(), "x"), Sys: t.TempDir()}
	if _, err := missing.CPUNum(); err == nil {
		t.Error("CPUNum without cpuinfo: no error")
	}
	if _, err := missing.TotalMemory(); err == nil {
		t.Error("TotalMemory without meminfo: no error")
	}
}

func TestParseMemInfo(t *testing.T) {
	if n, err := parseMemInfo(meminfo, "MemFree"); err != nil || n != 1223456*1024 {
		t.Errorf("MemFree = %d, %v", n, err)
	}
	if _, err := parseMemInfo(meminfo, "SwapTotal"); err == nil {
		t.Error("missing key: no error")
	}
	if _, err := parseMemInfo("MemTotal: lots kB\n", "MemTotal"); err == nil {
		t.Error("bad number: no error")
	}
}

func TestSystemFactsRun(t *testing.T) {
	// The live machine: only sanity, since the values are the host's.
	if n, err := GetCPUNum(); err != nil || n < 1 {
		t.Errorf("GetCPUNum = %d, %v", n, err)
	}
	if n, err := GetCPUSockets(); err != nil || n < 1 {
		t.Errorf("GetCPUSockets = %d, %v", n, err)
	}
	if n, err := GetTotalMemory(); err != nil || n < 1<<20 {
		t.Errorf("GetTotalMemory = %d, %v", n, err)
	}
	if _, err := HvmCPUFlag(); err != nil {
		t.Errorf("HvmCPUFlag: %v", err)
	}
}

// A nested host can hide vmx/svm from its guest and still offer /dev/kvm.
func TestHvmCPUFlagFromKVMDevice(t *testing.T) {
	amdNoSVM := strings.ReplaceAll(cpuinfoAMD, " svm", "")
	intelNoVMX := strings.ReplaceAll(cpuinfoIntel, " vmx", "")
	tests := []struct {
		name, cpuinfo string
		kvm           bool
		want          string
	}{
		{"amd, kvm usable", amdNoSVM, true, "svm"},
		{"intel, kvm usable", intelNoVMX, true, "vmx"},
		{"amd, no kvm device", amdNoSVM, false, ""},
		{"unknown vendor, kvm usable", cpuinfoPlain, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fakeHost(t, tc.cpuinfo, "")
			r.Dev = t.TempDir()
			if tc.kvm {
				if err := os.WriteFile(filepath.Join(r.Dev, "kvm"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if f, err := r.HvmCPUFlag(); err != nil || f != tc.want {
				t.Errorf("HvmCPUFlag = %q, %v; want %q", f, err, tc.want)
			}
		})
	}
}
