package stockxml_test

import (
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/stockxml"
)

const dom = `<domain type="kvm"><os><type arch="x86_64">hvm</type></os><devices>` +
	`<disk device="disk"><driver name="qemu" cache="none"/><target dev="vda"/></disk>` +
	`<disk device="cdrom"><driver name="qemu" io="native"/><target dev="hdc"/></disk>` +
	`</devices></domain>`

func TestAt(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"/domain/devices/disk/driver/@cache", []string{"none"}},
		{"/domain/devices/disk/driver/@io", []string{"native"}},
		{"/domain/devices/disk/target/@dev", []string{"vda", "hdc"}},
		{"/domain/os/loader", nil},
		{"/domain/os/type", []string{`<type arch="x86_64">hvm</type>`}},
		{"/domain/features/vmport/@state", nil},
	}
	for _, tt := range tests {
		got, err := stockxml.At(stockxml.Case{XML: dom}, tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.path, got, tt.want)
		}
	}
	got, _ := stockxml.At(stockxml.Case{Error: "make_volumes: boom"}, "/domain/os")
	if !slices.Equal(got, []string{"error: make_volumes: boom"}) {
		t.Errorf("error case = %q", got)
	}
}

// A tree whose release does not build is an error, never a crash.
func TestRenderBrokenRelease(t *testing.T) {
	dir := t.TempDir()
	if _, err := stockxml.Render(t.Context(), dir, dir); err == nil {
		t.Error("Render in a directory without a module succeeded")
	}
}
