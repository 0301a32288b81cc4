package declarative

import (
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
)

func TestCoverage(t *testing.T) {
	entries := []Entry{
		mustEntry(t, Entry{Name: "vdb-io", After: "uefi", Select: VMSelector{Name: "*"}, Ops: []Op{
			{Path: "devices/disk/driver", Match: []string{"target.dev=vdb"}, Set: map[string]string{"io": "native"}},
			{Path: "devices/disk", Match: []string{"target.dev=vdz"}, Delete: true},
			{Path: "devices/interface", Add: `<interface type="bridge"><source bridge="br1"/></interface>`},
		}}),
		mustEntry(t, Entry{Name: "nobody", After: "uefi", Select: VMSelector{Name: "db-*"}, Ops: []Op{{Path: "features/pmu", Create: map[string]string{}}}}),
	}
	cmds := []*excmd.StartVmExCmd{stockCmd(t, "mn_example_a"), stockCmd(t, "mn_example_b")}
	got, err := Coverage(entries, cmds, func(c *excmd.StartVmExCmd) (*libvirtxml.Domain, error) { return stockDomain(t, c), nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key                string
		commands, selected int
	}{
		{"layers.declarative[0].ops[0]", 2, 1}, // example (a) has a vdb, (b) does not
		{"layers.declarative[0].ops[1]", 2, 0}, // no vdz anywhere: `layers --corpus` warns
		{"layers.declarative[0].ops[2]", 2, 2},
		{"layers.declarative[1].ops[0]", 0, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if g := got[i]; g.Key != w.key || g.Commands != w.commands || g.Selected != w.selected {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if _, err := Coverage([]Entry{{Name: "raw"}}, cmds, nil); err == nil {
		t.Error("an entry not validated was counted")
	}
}
