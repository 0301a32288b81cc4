package stockxml_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/stockxml"
)

func TestRecorded(t *testing.T) {
	root := t.TempDir()
	if err := release.CopyTree(filepath.Join("..", "..", layout.File), filepath.Join(root, layout.File)); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "overlay", "layers", "testdata")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	explain := `layers applied: machine, chan
machine          removed /domain/devices/disk[target=hdc] (was <disk device="cdrom">…</disk>)
machine          set     /domain/os/type/@machine = "q35" (was "pc")
machine          set     /domain/os/type/@machine = "pc-q35-7.2" (was "pc")
chan             added   /domain/devices/channel[target="a b"]/@type = "unix"
conflict: layers "machine" and "chan" both wrote /domain/os
`
	if err := os.WriteFile(filepath.Join(dir, "x.explain.txt"), []byte(explain), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := stockxml.Recorded(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"machine": {"/domain/devices/disk[target=hdc]", "/domain/os/type/@machine"},
		"chan":    {`/domain/devices/channel[target="a b"]/@type`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Recorded = %q, want %q", got, want)
	}
}
