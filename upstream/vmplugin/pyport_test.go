package vmplugin

import (
	"errors"
	"testing"
)

func TestPyDirname(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/libvirt/qemu/abc": "/var/lib/libvirt/qemu",
		"/abc":                      "/",
		"abc":                       "",
		"a/b/":                      "a/b",
		"//x":                       "//",
		"/a//b":                     "/a",
		"":                          "",
	} {
		if got := pyDirname(in); got != want {
			t.Errorf("pyDirname(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPyInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		base int
		want int64
		ok   bool
	}{
		{"1f", 16, 31, true}, {"0x1F", 16, 31, true}, {" 0a\n", 16, 10, true}, {"-0x1", 16, -1, true},
		{"+7", 10, 7, true}, {"007", 10, 7, true}, {"0x7", 10, 0, false}, {"", 16, 0, false},
		{"0x", 16, 0, false}, {"1_0", 10, 0, false}, {"--1", 10, 0, false}, {"1 2", 10, 0, false},
	} {
		got, err := pyInt(tc.in, tc.base)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("pyInt(%q, %d) = %d, %v; want %d ok=%v", tc.in, tc.base, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, errPyInt) {
			t.Errorf("pyInt(%q) error %v does not wrap errPyInt", tc.in, err)
		}
	}
}

func TestPyHexAndFloorDiv(t *testing.T) {
	for v, want := range map[int64]string{0: "0x0", 31: "0x1f", -1: "-0x1", 4095: "0xfff"} {
		if got := pyHex(v); got != want {
			t.Errorf("pyHex(%d) = %q, want %q", v, got, want)
		}
	}
	for _, tc := range [][3]int64{{7, 2, 3}, {-7, 2, -4}, {8191, 1024, 7}, {-1, 1024, -1}, {0, 8, 0}} {
		if got := floorDiv(tc[0], tc[1]); got != tc[2] {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestPyIndex(t *testing.T) {
	for _, tc := range []struct {
		i, n, want int
		ok         bool
	}{{0, 3, 0, true}, {2, 3, 2, true}, {3, 3, 3, false}, {-1, 3, 2, true}, {-3, 3, 0, true}, {-4, 3, -1, false}} {
		got, ok := pyIndex(tc.i, tc.n)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("pyIndex(%d, %d) = %d, %v", tc.i, tc.n, got, ok)
		}
	}
}
