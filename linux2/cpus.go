package linux2

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

const cpuDir = "/sys/devices/system/cpu"

// maxCPUID bounds the ids a CPU list may name, so a corrupt "0-4000000000"
// is an error instead of a huge allocation. The kernel's NR_CPUS tops out
// at 8192 today.
const maxCPUID = 1 << 16

// ParseCPUList reads the kernel's CPU list syntax ("0-3,6,8-9", as in
// /sys/devices/system/cpu/online and *_list files) into sorted, distinct
// CPU ids. Empty (or only whitespace) is no CPUs. Ranges run low to high;
// stride forms ("0-7:2") are not accepted, the kernel never prints them.
func ParseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	seen := map[int]bool{}
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseCPUID(lo)
		if err != nil {
			return nil, fmt.Errorf("cpu list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = parseCPUID(hi); err != nil {
				return nil, fmt.Errorf("cpu list %q: %w", s, err)
			}
			if b < a {
				return nil, fmt.Errorf("cpu list %q: range %q runs backwards", s, part)
			}
		}
		for id := a; id <= b; id++ {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func parseCPUID(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty cpu id")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad cpu id %q", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxCPUID {
		return 0, fmt.Errorf("cpu id %q out of range (max %d)", s, maxCPUID)
	}
	return n, nil
}

// FormatCPUList writes ids in the kernel's (and libvirt's cpuset) list
// syntax, folding runs into ranges: [0 1 2 3 6 8 9] is "0-3,6,8-9".
func FormatCPUList(ids []int) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ids[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return b.String()
}

// OnlineCPUs is /sys/devices/system/cpu/online: the CPUs a VM can be pinned to.
func (h *Host) OnlineCPUs() ([]int, error) {
	return h.readCPUList(cpuDir + "/online")
}

func (h *Host) readCPUList(hostPath string) ([]int, error) {
	s, err := h.readText(hostPath)
	if err != nil {
		return nil, fmt.Errorf("cpus: %w", err)
	}
	ids, err := ParseCPUList(s)
	if err != nil {
		return nil, fmt.Errorf("cpus: %s: %w", h.path(hostPath), err)
	}
	return ids, nil
}

// CPU is one online CPU's place in the topology
// (/sys/devices/system/cpu/cpu<N>/topology/*).
type CPU struct {
	ID       int
	Core     int   // core_id, unique within a package only
	Package  int   // physical_package_id (socket)
	Die      int   // die_id; 0 on kernels without it
	Siblings []int // thread_siblings_list: the hardware threads of this core, this CPU included
}

// CPUTopology reads the topology of every online CPU, by id.
func (h *Host) CPUTopology() ([]CPU, error) {
	ids, err := h.OnlineCPUs()
	if err != nil {
		return nil, err
	}
	out := make([]CPU, 0, len(ids))
	for _, id := range ids {
		c, err := h.cpu(id)
		if err != nil {
			return nil, fmt.Errorf("cpus: cpu%d: %w", id, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (h *Host) cpu(id int) (CPU, error) {
	dir := fmt.Sprintf("%s/cpu%d/topology/", cpuDir, id)
	c := CPU{ID: id}
	var err error
	if c.Core, err = h.readInt(dir + "core_id"); err != nil {
		return c, err
	}
	if c.Package, err = h.readInt(dir + "physical_package_id"); err != nil {
		return c, err
	}
	if h.exists(dir + "die_id") { // since Linux 5.3
		if c.Die, err = h.readInt(dir + "die_id"); err != nil {
			return c, err
		}
	}
	s, err := h.readText(dir + "thread_siblings_list")
	if err != nil {
		return c, err
	}
	if c.Siblings, err = ParseCPUList(s); err != nil {
		return c, fmt.Errorf("%s: %w", h.path(dir+"thread_siblings_list"), err)
	}
	return c, nil
}
