package linux2

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

const (
	hugepagesDir = "/sys/kernel/mm/hugepages"
	meminfoPath  = "/proc/meminfo"
	mountsPath   = "/proc/mounts"
)

// HugepagePool is the kernel's pool of one page size
// (/sys/kernel/mm/hugepages/hugepages-<N>kB/*), counted in pages.
type HugepagePool struct {
	SizeKiB    uint64
	Total      uint64 // nr_hugepages
	Free       uint64 // free_hugepages: includes reserved ones
	Reserved   uint64 // resv_hugepages: promised to a mapping, not yet faulted in
	Surplus    uint64 // surplus_hugepages: allocated beyond Total from overcommit
	Overcommit uint64 // nr_overcommit_hugepages
}

// Available is what a new VM can still have: free pages not already
// reserved. Overcommit (surplus) pages are left out: the kernel may not find
// the memory for them when the VM starts.
func (p HugepagePool) Available() uint64 {
	if p.Reserved > p.Free {
		return 0
	}
	return p.Free - p.Reserved
}

// HugetlbfsMount is one hugetlbfs in /proc/mounts.
type HugetlbfsMount struct {
	Path        string
	PageSizeKiB uint64 // its pagesize= option, else the default page size
}

// Hugepages is the host's hugepage state.
type Hugepages struct {
	DefaultSizeKiB uint64           // Hugepagesize of /proc/meminfo
	Pools          []HugepagePool   // by size, smallest first
	Mounts         []HugetlbfsMount // in /proc/mounts order
}

// Pool returns the pool of one page size.
func (s Hugepages) Pool(sizeKiB uint64) (HugepagePool, bool) {
	for _, p := range s.Pools {
		if p.SizeKiB == sizeKiB {
			return p, true
		}
	}
	return HugepagePool{}, false
}

// Mounted reports whether a hugetlbfs of that page size is mounted, which
// libvirt needs (it looks for one when it starts) to back memory with it.
func (s Hugepages) Mounted(sizeKiB uint64) bool {
	for _, m := range s.Mounts {
		if m.PageSizeKiB == sizeKiB {
			return true
		}
	}
	return false
}

// Sizes lists the page sizes the kernel offers, smallest first.
func (s Hugepages) Sizes() []uint64 {
	out := make([]uint64, len(s.Pools))
	for i, p := range s.Pools {
		out[i] = p.SizeKiB
	}
	return out
}

// Hugepages reads every pool from /sys/kernel/mm/hugepages, the default size
// from /proc/meminfo and the hugetlbfs mounts from /proc/mounts. A kernel
// without the sysfs directory (older, or hugetlb off) has at most the default
// pool, taken from /proc/meminfo's HugePages_* lines.
func (h *Host) Hugepages() (Hugepages, error) {
	var s Hugepages
	meminfo, err := h.readText(meminfoPath)
	if err != nil {
		return s, fmt.Errorf("hugepages: %w", err)
	}
	mi := parseMeminfoHuge(meminfo)
	s.DefaultSizeKiB = mi["Hugepagesize"]

	dir := h.path(hugepagesDir)
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if s.DefaultSizeKiB != 0 {
			s.Pools = []HugepagePool{{
				SizeKiB: s.DefaultSizeKiB, Total: mi["HugePages_Total"], Free: mi["HugePages_Free"],
				Reserved: mi["HugePages_Rsvd"], Surplus: mi["HugePages_Surp"],
			}}
		}
	case err != nil:
		return s, fmt.Errorf("hugepages: read %s: %w", dir, err)
	default:
		for _, e := range entries {
			size, ok := parsePoolDirName(e.Name())
			if !ok {
				continue
			}
			p, err := h.readPool(e.Name(), size)
			if err != nil {
				return s, fmt.Errorf("hugepages: %w", err)
			}
			s.Pools = append(s.Pools, p)
		}
		slices.SortFunc(s.Pools, func(a, b HugepagePool) int { return cmp.Compare(a.SizeKiB, b.SizeKiB) })
	}

	mounts, err := h.readText(mountsPath)
	if err != nil {
		return s, fmt.Errorf("hugepages: %w", err)
	}
	s.Mounts = parseHugetlbfsMounts(mounts, s.DefaultSizeKiB)
	return s, nil
}

// FreeHugepages is the number of pages of sizeKiB a new VM can take: free
// and not reserved. sizeKiB 0 means the default size. A size the kernel does
// not offer is an error listing the sizes it does.
func (h *Host) FreeHugepages(sizeKiB uint64) (uint64, error) {
	s, err := h.Hugepages()
	if err != nil {
		return 0, err
	}
	if sizeKiB == 0 {
		sizeKiB = s.DefaultSizeKiB
	}
	p, ok := s.Pool(sizeKiB)
	if !ok {
		return 0, fmt.Errorf("hugepages: page size %d KiB is not offered by this host (offered: %s KiB, in %s)",
			sizeKiB, joinUints(s.Sizes()), h.path(hugepagesDir))
	}
	return p.Available(), nil
}

func (h *Host) readPool(name string, size uint64) (HugepagePool, error) {
	p := HugepagePool{SizeKiB: size}
	for _, f := range []struct {
		file string
		dst  *uint64
	}{
		{"nr_hugepages", &p.Total},
		{"free_hugepages", &p.Free},
		{"resv_hugepages", &p.Reserved},
		{"surplus_hugepages", &p.Surplus},
		{"nr_overcommit_hugepages", &p.Overcommit},
	} {
		n, err := h.readUint(hugepagesDir + "/" + name + "/" + f.file)
		if err != nil {
			return p, err
		}
		*f.dst = n
	}
	return p, nil
}

// parsePoolDirName reads N of "hugepages-<N>kB".
func parsePoolDirName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, "hugepages-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "kB")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// parseMeminfoHuge keeps /proc/meminfo's hugepage lines: counts as they are,
// "kB" values in KiB.
func parseMeminfoHuge(text string) map[string]uint64 {
	out := map[string]uint64{}
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.Contains(k, "Huge") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseUint(f[0], 10, 64); err == nil {
			out[strings.TrimSpace(k)] = n
		}
	}
	return out
}

// parseHugetlbfsMounts picks the hugetlbfs lines of /proc/mounts.
func parseHugetlbfsMounts(text string, defaultKiB uint64) []HugetlbfsMount {
	var out []HugetlbfsMount
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "hugetlbfs" {
			continue
		}
		m := HugetlbfsMount{Path: unescapeMountField(f[1]), PageSizeKiB: defaultKiB}
		for opt := range strings.SplitSeq(f[3], ",") {
			if v, ok := strings.CutPrefix(opt, "pagesize="); ok {
				if n, ok := parseSizeKiB(v); ok {
					m.PageSizeKiB = n
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// parseSizeKiB reads hugetlbfs's pagesize option: "2M", "1G", "2048K", or bytes.
func parseSizeKiB(v string) (uint64, bool) {
	mult := uint64(0) // bytes
	switch {
	case strings.HasSuffix(v, "K"), strings.HasSuffix(v, "k"):
		mult = 1
	case strings.HasSuffix(v, "M"), strings.HasSuffix(v, "m"):
		mult = 1 << 10
	case strings.HasSuffix(v, "G"), strings.HasSuffix(v, "g"):
		mult = 1 << 20
	}
	if mult != 0 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false
	}
	if mult == 0 {
		return n / 1024, true
	}
	return n * mult, true
}

// unescapeMountField undoes the octal escapes /proc/mounts uses for space,
// tab, newline and backslash in paths.
func unescapeMountField(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func joinUints(ns []uint64) string {
	if len(ns) == 0 {
		return "none"
	}
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(s, ", ")
}
