package layers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// PinningEx is the ex.pinning block: vCPUs and the emulator threads to host CPUs.
type PinningEx struct {
	VCPUs    []VCPUPin `json:"vcpus,omitempty"`
	Emulator string    `json:"emulator,omitempty"` // a cpuset: "0-1,3"
}

// VCPUPin pins one vCPU.
type VCPUPin struct {
	VCPU   int    `json:"vcpu"`
	CPUSet string `json:"cpuset"`
}

// maxCPUSetLen bounds a cpuset's text (libvirt's own bitmap is 16384 CPUs).
const maxCPUSetLen = 1024

var pinningBlock = &layer.Block[PinningEx]{Name: "pinning", Validate: validatePinning}

// Pinning pins vCPUs and the emulator threads to host CPUs.
var Pinning = layer.Layer{
	Name: "pinning",
	Doc: `vCPU and emulator pinning, checked against the host's online CPUs.

	"ex": {"pinning": {"vcpus": [{"vcpu": 0, "cpuset": "0"}, {"vcpu": 1, "cpuset": "1"}], "emulator": "0-1"}}

A cpuset is libvirt's syntax: CPUs and ranges joined by commas, "^N" to
exclude ("0-3,^2"). vcpu counts from 0 and stays below cpuNum.`,
	Reads:   []string{"ex.pinning.vcpus", "ex.pinning.emulator", "cpuNum"},
	Writes:  []string{"/domain/cputune/vcpupin", "/domain/cputune/emulatorpin"},
	Ex:      pinningBlock,
	Apply:   applyPinning,
	Records: true,
}

func validatePinning(p *PinningEx, c *layer.Check) error {
	if len(p.VCPUs) == 0 && p.Emulator == "" {
		return fmt.Errorf("ex.pinning: empty: give vcpus or emulator")
	}
	if len(p.VCPUs) > max(c.Cmd.CPUNum, 0) {
		return fmt.Errorf("ex.pinning.vcpus: %d pins for the VM's %d vCPUs (cpuNum)", len(p.VCPUs), c.Cmd.CPUNum)
	}
	var online []int
	if c.Host != nil {
		var err error
		if online, err = c.Host.OnlineCPUs(); err != nil {
			return fmt.Errorf("ex.pinning: read the host's online CPUs: %w", err)
		}
	}
	check := func(field, set string) error {
		if len(set) > maxCPUSetLen {
			return fmt.Errorf("%s: %d characters is more than the %d a cpuset may have", field, len(set), maxCPUSetLen)
		}
		cpus, err := ParseCPUSet(set)
		if err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		if c.Host == nil {
			return nil
		}
		for _, cpu := range cpus {
			if !slices.Contains(online, cpu) {
				return fmt.Errorf("%s: CPU %d is not online on this host (online: %s)", field, cpu, FormatCPUSet(online))
			}
		}
		return nil
	}
	seen := map[int]bool{}
	for i, v := range p.VCPUs {
		field := fmt.Sprintf("ex.pinning.vcpus[%d]", i)
		switch {
		case v.VCPU < 0:
			return fmt.Errorf("%s.vcpu: %d is negative", field, v.VCPU)
		case v.VCPU >= c.Cmd.CPUNum:
			return fmt.Errorf("%s.vcpu: %d is not below the VM's %d vCPUs (cpuNum)", field, v.VCPU, c.Cmd.CPUNum)
		case seen[v.VCPU]:
			return fmt.Errorf("%s.vcpu: vCPU %d is pinned twice", field, v.VCPU)
		}
		seen[v.VCPU] = true
		if err := check(field+".cpuset", v.CPUSet); err != nil {
			return err
		}
	}
	if p.Emulator != "" {
		if err := check("ex.pinning.emulator", p.Emulator); err != nil {
			return err
		}
	}
	return nil
}

func applyPinning(c *layer.Context) error {
	p, d := pinningBlock.In(c), c.Domain
	was := d.CPUTune
	// a new <cputune>: the old one stays as it was
	var tune libvirtxml.DomainCPUTune
	if was != nil {
		tune = *was
		tune.VCPUPin = slices.Clone(was.VCPUPin)
	}
	d.CPUTune = &tune
	for _, v := range p.VCPUs {
		pin := libvirtxml.DomainCPUTuneVCPUPin{VCPU: uint(v.VCPU), CPUSet: strings.TrimSpace(v.CPUSet)}
		if j := slices.IndexFunc(d.CPUTune.VCPUPin, func(x libvirtxml.DomainCPUTuneVCPUPin) bool { return x.VCPU == pin.VCPU }); j >= 0 {
			d.CPUTune.VCPUPin[j] = pin
		} else {
			d.CPUTune.VCPUPin = append(d.CPUTune.VCPUPin, pin)
		}
	}
	slices.SortFunc(d.CPUTune.VCPUPin, func(a, b libvirtxml.DomainCPUTuneVCPUPin) int { return int(a.VCPU) - int(b.VCPU) })
	if p.Emulator != "" {
		d.CPUTune.EmulatorPin = &libvirtxml.DomainCPUTuneEmulatorPin{CPUSet: strings.TrimSpace(p.Emulator)}
	}
	c.Changed("/domain", d, layer.Before("cputune", was))
	return nil
}

// maxCPU bounds CPU ids in a cpuset (libvirt's VIR_DOMAIN_CPUMASK_LEN is 16384).
const maxCPU = 16383

// ParseCPUSet parses libvirt's cpuset syntax ("0-3,^2,8") into sorted CPU
// ids; an empty result is an error, as libvirt refuses it.
func ParseCPUSet(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty cpuset")
	}
	in := map[int]bool{}
	var excluded []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		neg := strings.HasPrefix(part, "^")
		part = strings.TrimPrefix(part, "^")
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := cpuID(lo)
		if err != nil {
			return nil, fmt.Errorf("cpuset %q: %w", s, err)
		}
		b := a
		if isRange {
			if neg {
				return nil, fmt.Errorf("cpuset %q: an exclusion (^) takes one CPU, not a range", s)
			}
			if b, err = cpuID(hi); err != nil {
				return nil, fmt.Errorf("cpuset %q: %w", s, err)
			}
			if b < a {
				return nil, fmt.Errorf("cpuset %q: range %d-%d runs backwards", s, a, b)
			}
		}
		if neg {
			excluded = append(excluded, a)
			continue
		}
		for cpu := a; cpu <= b; cpu++ {
			in[cpu] = true
		}
	}
	for _, cpu := range excluded {
		delete(in, cpu)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("cpuset %q selects no CPU", s)
	}
	out := make([]int, 0, len(in))
	for cpu := range in {
		out = append(out, cpu)
	}
	slices.Sort(out)
	return out, nil
}

func cpuID(s string) (int, error) {
	// Digits only: strconv takes "+1", libvirt's cpuset parser does not.
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a CPU number (0 to %d)", s, maxCPU)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a CPU number (0 to %d)", s, maxCPU)
	}
	if n > maxCPU {
		return 0, fmt.Errorf("CPU %d is above %d", n, maxCPU)
	}
	return n, nil
}

// FormatCPUSet writes sorted CPU ids as ranges: [0 1 2 5] -> "0-2,5".
func FormatCPUSet(cpus []int) string {
	cpus = slices.Clone(cpus)
	slices.Sort(cpus)
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", cpus[i], cpus[j]))
		} else {
			parts = append(parts, strconv.Itoa(cpus[i]))
		}
		i = j + 1
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}
