package linux2

import (
	"reflect"
	"testing"
)

func TestHugepages(t *testing.T) {
	tests := []struct {
		fixture string
		want    Hugepages
		wantErr string
	}{
		{"debian12", Hugepages{
			DefaultSizeKiB: 2048,
			Pools:          []HugepagePool{{SizeKiB: 2048, Total: 256, Free: 256}, {SizeKiB: 1048576}},
			Mounts:         []HugetlbfsMount{{Path: "/dev/hugepages", PageSizeKiB: 2048}},
		}, ""},
		{"bigbox", Hugepages{
			DefaultSizeKiB: 2048,
			Pools: []HugepagePool{
				{SizeKiB: 2048, Total: 1024, Free: 1000, Reserved: 200, Surplus: 4, Overcommit: 8},
				{SizeKiB: 1048576, Total: 4, Free: 1},
			},
			Mounts: []HugetlbfsMount{
				{Path: "/dev/hugepages", PageSizeKiB: 2048},  // no pagesize=: the default
				{Path: "/mnt/huge 1G", PageSizeKiB: 1048576}, // \040 in /proc/mounts
			},
		}, ""},
		// No /sys/kernel/mm/hugepages: the default pool from /proc/meminfo.
		{"bare", Hugepages{
			DefaultSizeKiB: 2048,
			Pools:          []HugepagePool{{SizeKiB: 2048, Total: 16, Free: 10, Reserved: 2}},
		}, ""},
		{"broken", Hugepages{}, "parse testdata/broken/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages: "},
		{"etcoverride", Hugepages{}, "hugepages: read testdata/etcoverride/proc/meminfo: "},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := fixture(tc.fixture).Hugepages()
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Hugepages() = %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestHugepagesQueries(t *testing.T) {
	s, err := fixture("bigbox").Hugepages()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Sizes(); !reflect.DeepEqual(got, []uint64{2048, 1048576}) {
		t.Errorf("Sizes() = %v", got)
	}
	tests := []struct {
		size    uint64
		mounted bool
		pool    bool
	}{
		{2048, true, true},
		{1048576, true, true},
		{4096, false, false},
	}
	for _, tc := range tests {
		if got := s.Mounted(tc.size); got != tc.mounted {
			t.Errorf("Mounted(%d) = %v, want %v", tc.size, got, tc.mounted)
		}
		if _, ok := s.Pool(tc.size); ok != tc.pool {
			t.Errorf("Pool(%d) found = %v, want %v", tc.size, ok, tc.pool)
		}
	}
	if s, _ := fixture("bare").Hugepages(); s.Mounted(2048) {
		t.Error("bare: Mounted(2048) = true without a hugetlbfs in /proc/mounts")
	}
}

func TestFreeHugepages(t *testing.T) {
	tests := []struct {
		fixture string
		sizeKiB uint64
		want    uint64
		wantErr string
	}{
		{"debian12", 2048, 256, ""},
		{"debian12", 0, 256, ""}, // 0: the default size
		{"debian12", 1048576, 0, ""},
		{"bigbox", 2048, 800, ""}, // 1000 free, 200 of them reserved
		{"bigbox", 1048576, 1, ""},
		{"bare", 2048, 8, ""},
		{"debian12", 4096, 0, "hugepages: page size 4096 KiB is not offered by this host (offered: 2048, 1048576 KiB, in testdata/debian12/sys/kernel/mm/hugepages)"},
		{"bare", 1048576, 0, "(offered: 2048 KiB"},
		{"broken", 2048, 0, "free_hugepages"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := fixture(tc.fixture).FreeHugepages(tc.sizeKiB)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FreeHugepages(%d) = %d, %v; want %d", tc.sizeKiB, got, err, tc.want)
			}
		})
	}
}

func TestHugepagePoolAvailable(t *testing.T) {
	tests := []struct {
		name string
		pool HugepagePool
		want uint64
	}{
		{"none reserved", HugepagePool{Free: 10}, 10},
		{"some reserved", HugepagePool{Free: 10, Reserved: 4}, 6},
		{"all reserved", HugepagePool{Free: 4, Reserved: 4}, 0},
		{"counters raced", HugepagePool{Free: 3, Reserved: 4}, 0}, // read one file at a time
	}
	for _, tc := range tests {
		if got := tc.pool.Available(); got != tc.want {
			t.Errorf("%s: Available() = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestParseSizeKiB(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"2M", 2048, true},
		{"1G", 1048576, true},
		{"1024M", 1048576, true},
		{"2048K", 2048, true},
		{"2097152", 2048, true}, // bytes
		{"2x", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseSizeKiB(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseSizeKiB(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUnescapeMountField(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/dev/hugepages", "/dev/hugepages"},
		{`/mnt/a\040b`, "/mnt/a b"},
		{`/mnt/tab\011x\134y`, "/mnt/tab\tx\\y"},
		{`/mnt/short\04`, `/mnt/short\04`}, // not a full escape: kept
	}
	for _, tc := range tests {
		if got := unescapeMountField(tc.in); got != tc.want {
			t.Errorf("unescapeMountField(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
