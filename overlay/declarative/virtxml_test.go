package declarative

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// TestVirtXML: each row mirrors a virt-xml command (named in the row) and
// expects what virt-xml leaves in the domain, on a corpus command's stock
// domain (example (a) unless the row says b: its os has <boot dev='cdrom'>).
func TestVirtXML(t *testing.T) {
	cases := []struct {
		virtXML string // the command the row mirrors
		cmd     string
		ops     []Op
		want    []want
	}{
		{"virt-xml --edit --cputune shares=", "mn_example_a",
			[]Op{{Path: "cputune/shares", Unset: []string{"#text"}}},
			[]want{{path: "cputune/shares", count: 0}, {path: "cputune", count: 0}}},
		{"virt-xml --edit --vcpus vcpus= (vcpu text unset)", "mn_example_a",
			[]Op{{Path: "vcpu", Unset: []string{"#text"}}},
			[]want{{path: "vcpu", count: 0}}},
		{"virt-xml --edit --memory currentMemory=", "mn_example_a",
			[]Op{{Path: "currentMemory", Unset: []string{"#text"}}},
			[]want{{path: "currentMemory", count: 0}, {path: "memory", count: 1}}},
		{"virt-xml --edit --metadata description=", "mn_example_a",
			[]Op{{Path: "description", Unset: []string{"#text"}}},
			[]want{{path: "description", count: 0}}},
		{"virt-xml --edit --metadata description= (set to empty)", "mn_example_a",
			[]Op{{Path: "description", Set: map[string]string{"#text": ""}}},
			[]want{{path: "description", count: 0}}},
		{"virt-xml --edit target.dev=vdb --disk serial=data-1", "mn_example_a",
			[]Op{{Path: "devices/disk/serial", Match: []string{"target.dev=vdb"}, Set: map[string]string{"#text": "data-1"}}},
			[]want{{path: "devices/disk[2]/serial", count: 1}, {path: "devices/disk/serial", count: 1}}},
		{"virt-xml --edit target.dev=vdb --disk wwn=5000c50015ea71ac", "mn_example_a",
			[]Op{{Path: "devices/disk/wwn", Match: []string{"target.dev=vdb"}, Set: map[string]string{"#text": "5000c50015ea71ac"}}},
			[]want{{path: "devices/disk[2]/wwn", count: 1}}},
		{"virt-xml --edit target.dev=vdb --disk iotune.total_iops_sec=500", "mn_example_a",
			[]Op{{Path: "devices/disk/iotune/total_iops_sec", Match: []string{"target.dev=vdb"}, Set: map[string]string{"#text": "500"}}},
			[]want{{path: "devices/disk[2]/iotune/total_iops_sec", count: 1}}},
		{"virt-xml --edit target.dev=hda --disk boot.order=1 (removes <os><boot dev>)", "mn_example_b",
			[]Op{{Path: "devices/disk", Match: []string{"target.dev=hda"}, Set: map[string]string{"boot.order": "1"}}},
			[]want{{path: "os/boot", count: 0}, {path: "devices/disk[1]/boot", count: 1, attr: "order", value: "1"}}},
		{"virt-xml --edit target.dev=hda --disk boot.order=1, as a merge", "mn_example_b",
			[]Op{{Path: "devices/disk", Match: []string{"target.dev=hda"}, Merge: `<disk><boot order="1"/></disk>`}},
			[]want{{path: "os/boot", count: 0}, {path: "devices/disk[1]/boot", count: 1, attr: "order", value: "1"}}},
		{"virt-xml --edit target.dev=hda --disk boot.order=1, at the boot element", "mn_example_b",
			[]Op{{Path: "devices/disk/boot", Match: []string{"target.dev=hda"}, Set: map[string]string{"order": "1"}}},
			[]want{{path: "os/boot", count: 0}, {path: "devices/disk[1]/boot", count: 1, attr: "order", value: "1"}}},
		{"virt-xml --remove-device --serial 1 (its console goes too)", "mn_example_a",
			[]Op{{Path: "devices/serial", Delete: true}},
			[]want{{path: "devices/serial", count: 0}, {path: "devices/console", count: 0}}},
		{"virt-xml --add-device --network bridge=br1 (a second NIC)", "mn_example_a",
			[]Op{{Path: "devices/interface", Add: `<interface type="bridge"><source bridge="br1"/><model type="virtio"/></interface>`}},
			[]want{{path: "devices/interface", count: 2}, {path: "devices/interface[2]/source", count: 1, attr: "bridge", value: "br1"}}},
		{"virt-xml --add-device --disk /var/lib/x.qcow2,target.dev=vdc (a third disk)", "mn_example_a",
			[]Op{{Path: "devices/disk", Add: `<disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="/var/lib/x.qcow2"/><target dev="vdc" bus="virtio"/></disk>`}},
			[]want{{path: "devices/disk", count: 6}, {path: "devices/disk[6]/target", count: 1, attr: "dev", value: "vdc"}}},
		{"virt-xml --add-device --channel unix,target.type=virtio,name=org.qemu.guest_agent.1", "mn_example_a",
			[]Op{{Path: "devices/channel", Add: `<channel type="unix"><target type="virtio" name="org.qemu.guest_agent.1"/></channel>`}},
			[]want{{path: "devices/channel", more: 1}}},
		{"virt-xml --edit --cputune vcpupin0.vcpu=0,vcpupin0.cpuset=0 then vcpupin1 (add twice)", "mn_example_a",
			[]Op{{Path: "cputune/vcpupin", Add: `<vcpupin vcpu="0" cpuset="0"/>`}, {Path: "cputune/vcpupin", Add: `<vcpupin vcpu="1" cpuset="1"/>`}},
			[]want{{path: "cputune/vcpupin", count: 2}, {path: "cputune/vcpupin[2]", count: 1, attr: "cpuset", value: "1"}}},
		{"virt-xml --edit --metadata description=db (text-only merge fragment)", "mn_example_a",
			[]Op{{Path: "description", Merge: `<description>db</description>`}},
			[]want{{path: "description", count: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.virtXML, func(t *testing.T) {
			e := mustEntry(t, entryWith(tc.ops...))
			x, err := run(t, e, stockCmd(t, tc.cmd))
			if err != nil {
				t.Fatal(err)
			}
			// Through the chain too: what the op removes beside its
			// target (<os><boot>, the console) is among its declared writes.
			cmd := stockCmd(t, tc.cmd)
			if _, err := layer.Run(&layer.Context{Ctx: context.Background(), Cmd: cmd, Domain: stockDomain(t, cmd)}, []layer.Layer{e.Layer()}); err != nil {
				t.Errorf("chain: %v", err)
			}
			check(t, x, relativeToStock(t, tc.want, stockDomain(t, stockCmd(t, tc.cmd))))
			if strings.Contains(tc.virtXML, "description=db") && !strings.Contains(x, "<description>db</description>") {
				t.Errorf("description not replaced:\n%s", x)
			}
		})
	}
}

// relativeToStock resolves the counts given as "the stock's plus more".
func relativeToStock(t *testing.T, ws []want, stock *libvirtxml.Domain) []want {
	t.Helper()
	x, err := stock.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(ws)
	for i, w := range out {
		if w.more > 0 {
			out[i].count = len(doc.Root().FindElements(w.path)) + w.more
		}
	}
	return out
}

// TestRequire: require: true makes "nothing selected" a request error
// naming the op; without it the op does nothing.
func TestRequire(t *testing.T) {
	op := Op{Path: "devices/disk", Match: []string{"target.dev=vdz"}, Require: true, Set: map[string]string{"driver.io": "native"}}
	_, err := run(t, mustEntry(t, entryWith(op)), stockCmd(t, "mn_example_a"))
	if err == nil || !strings.Contains(err.Error(), "ops[0] (set devices/disk): selected nothing") {
		t.Errorf("err = %v", err)
	}
	op.Require = false
	if _, err := run(t, mustEntry(t, entryWith(op)), stockCmd(t, "mn_example_a")); err != nil {
		t.Error(err)
	}
}
