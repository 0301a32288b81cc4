package linux2

import (
	"reflect"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{"0-3,6,8-9", []int{0, 1, 2, 3, 6, 8, 9}, ""},
		{"0", []int{0}, ""},
		{"0-1\n", []int{0, 1}, ""},
		{"", nil, ""},
		{" \n", nil, ""},
		{"5-5", []int{5}, ""},
		{"8-9,0-1", []int{0, 1, 8, 9}, ""}, // out of order: sorted
		{"0-2,1-3", []int{0, 1, 2, 3}, ""}, // overlap: once each
		{"63,127", []int{63, 127}, ""},
		{"3-1", nil, `range "3-1" runs backwards`},
		{"0-x", nil, `bad cpu id "x"`},
		{"a", nil, `bad cpu id "a"`},
		{"-1", nil, "empty cpu id"},
		{"1-", nil, "empty cpu id"},
		{"1,,2", nil, "empty cpu id"},
		{"1,", nil, "empty cpu id"},
		{",1", nil, "empty cpu id"},
		{"0-7:2", nil, `bad cpu id "7:2"`},
		{"1 - 2", nil, `bad cpu id "1 "`},
		{"+1", nil, `bad cpu id "+1"`},
		{"0-4000000000", nil, "out of range"},
		{"99999999999999999999", nil, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCPUList(tc.in)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseCPUList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestFormatCPUList(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{[]int{0, 1, 2, 3, 6, 8, 9}, "0-3,6,8-9"},
		{[]int{9, 8, 6, 3, 2, 1, 0, 6}, "0-3,6,8-9"},
		{[]int{5}, "5"},
		{[]int{1, 3, 5}, "1,3,5"},
		{nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got := FormatCPUList(tc.in)
			if got != tc.want {
				t.Fatalf("FormatCPUList(%v) = %q, want %q", tc.in, got, tc.want)
			}
			back, err := ParseCPUList(got)
			if err != nil || FormatCPUList(back) != got {
				t.Fatalf("round trip of %q: %v, %v", got, back, err)
			}
		})
	}
}

func TestOnlineCPUs(t *testing.T) {
	tests := []struct {
		fixture string
		want    []int
		wantErr string
	}{
		{"debian12", []int{0, 1}, ""},
		{"bigbox", []int{0, 1, 2, 3, 6, 8, 9}, ""},
		{"bare", []int{0}, ""},
		{"broken", nil, `testdata/broken/sys/devices/system/cpu/online: cpu list "0-x": bad cpu id "x"`},
		{"etcoverride", nil, "read testdata/etcoverride/sys/devices/system/cpu/online: "},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := fixture(tc.fixture).OnlineCPUs()
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("OnlineCPUs() = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestCPUTopology(t *testing.T) {
	tests := []struct {
		fixture string
		want    []CPU
		wantErr string
	}{
		{"debian12", []CPU{
			{ID: 0, Core: 0, Package: 0, Die: 0, Siblings: []int{0}},
			{ID: 1, Core: 1, Package: 0, Die: 0, Siblings: []int{1}},
		}, ""},
		{"bigbox", []CPU{
			{ID: 0, Core: 0, Package: 0, Die: 0, Siblings: []int{0, 1}},
			{ID: 1, Core: 0, Package: 0, Die: 0, Siblings: []int{0, 1}},
			{ID: 2, Core: 1, Package: 0, Die: 0, Siblings: []int{2, 3}},
			{ID: 3, Core: 1, Package: 0, Die: 0, Siblings: []int{2, 3}},
			{ID: 6, Core: 0, Package: 1, Die: 2, Siblings: []int{6, 8}},
			{ID: 8, Core: 0, Package: 1, Die: 2, Siblings: []int{6, 8}},
			{ID: 9, Core: 1, Package: 1, Die: 3, Siblings: []int{9}},
		}, ""},
		{"bare", []CPU{{ID: 0, Siblings: []int{0}}}, ""}, // no die_id: kernel before 5.3
		{"broken", nil, `cpu list "0-x"`},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := fixture(tc.fixture).CPUTopology()
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("CPUTopology() = %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestCPUTopologyNamesTheMissingFile(t *testing.T) {
	// online lists cpu4, whose topology directory is absent.
	h := &Host{Root: t.TempDir()}
	writeTree(t, h.Root, map[string]string{
		"sys/devices/system/cpu/online":                             "0,4\n",
		"sys/devices/system/cpu/cpu0/topology/core_id":              "0\n",
		"sys/devices/system/cpu/cpu0/topology/physical_package_id":  "0\n",
		"sys/devices/system/cpu/cpu0/topology/thread_siblings_list": "0\n",
	})
	_, err := h.CPUTopology()
	wantErr(t, err, "cpus: cpu4: read "+h.Root+"/sys/devices/system/cpu/cpu4/topology/core_id")
}
