package declarative

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidateErrors(t *testing.T) {
	ok := Op{Path: "features/pmu", Create: map[string]string{}}
	cases := []struct {
		name  string
		e     Entry
		field string
		want  string
	}{
		{"no name", Entry{After: "uefi", Select: VMSelector{Name: "*"}, Ops: []Op{ok}}, "name", "is required"},
		{"bad name", Entry{Name: "Big Name", After: "uefi", Select: VMSelector{Name: "*"}, Ops: []Op{ok}}, "name", "lower-case"},
		{"no placement", Entry{Name: "x", Select: VMSelector{Name: "*"}, Ops: []Op{ok}}, "", "one of before: or after:"},
		{"both placements", Entry{Name: "x", Before: "a", After: "b", Select: VMSelector{Name: "*"}, Ops: []Op{ok}}, "after", "give exactly one"},
		{"self override", Entry{Name: "x", After: "uefi", Overrides: []string{"x"}, Select: VMSelector{Name: "*"}, Ops: []Op{ok}}, "overrides[0]", "other than this one"},
		{"empty VM selector", Entry{Name: "x", After: "uefi", Ops: []Op{ok}}, "select", "at least one of uuid"},
		{"bad uuid", Entry{Name: "x", After: "uefi", Select: VMSelector{UUID: "xyz"}, Ops: []Op{ok}}, "select.uuid", `"xyz" is not a uuid`},
		{"bad glob", Entry{Name: "x", After: "uefi", Select: VMSelector{Name: "web-[0-"}, Ops: []Op{ok}}, "select.name", "syntax error in pattern"},
		{"bad tag", Entry{Name: "x", After: "uefi", Select: VMSelector{Tag: "role"}, Ops: []Op{ok}}, "select.tag", "want key=value"},
		{"no ops", entryWith(), "ops", "at least one operation"},
		{"no path", entryWith(Op{Delete: true}), "ops[0].path", "is required"},
		{"absolute path elsewhere", entryWith(Op{Path: "/devices/disk", Delete: true}), "ops[0].path", "relative to /domain"},
		{"bad path element", entryWith(Op{Path: "devices/di sk", Delete: true}), "ops[0].path", "not an element name"},
		{"prefixed path element", entryWith(Op{Path: "qemu:commandline", Delete: true}), "ops[0].path", "without a namespace prefix"},
		{"domain in path", entryWith(Op{Path: "domain/devices", Delete: true}), "ops[0].path", "leave out domain/"},
		{"unknown element in path", entryWith(Op{Path: "devices/interfaec", Delete: true}), "ops[0].path", "element <interfaec> under devices is not part of libvirt's domain model as libvirtxml knows it"},
		{"unknown element deep", entryWith(Op{Path: "devices/disk/drivre", Set: map[string]string{"io": "native"}}), "ops[0].path", "element <drivre> under devices/disk is not part"},
		{"unknown section", entryWith(Op{Path: "featurez/pmu", Create: map[string]string{}}), "ops[0].path", "element <featurez> under /domain is not part"},
		{"no op", entryWith(Op{Path: "devices/disk"}), "ops[0]", "no operation"},
		{"two ops", entryWith(Op{Path: "devices/disk", Delete: true, Unset: []string{"snapshot"}}), "ops[0]", "unset, delete: give exactly one operation"},
		{"two picks", entryWith(Op{Path: "devices/disk", All: true, Nth: 2, Delete: true}), "ops[0]", "give at most one"},
		{"negative nth", entryWith(Op{Path: "devices/disk", Nth: -1, Delete: true}), "ops[0].nth", "counts from 1"},
		{"match without =", entryWith(Op{Path: "devices/disk", Match: []string{"target.dev"}, Delete: true}), "ops[0].match[0]", "want property=value"},
		{"match bad property", entryWith(Op{Path: "devices/disk", Match: []string{"target..dev=vdb"}, Delete: true}), "ops[0].match[0]", "is not an element or attribute name"},
		{"match unknown property", entryWith(Op{Path: "devices/disk", Match: []string{"target.dve=vdb"}, Delete: true}), "ops[0].match[0]", "attribute dve of <target> under devices/disk is not part"},
		{"empty set", entryWith(Op{Path: "devices/disk", Set: map[string]string{}}), "ops[0].set", "is empty"},
		{"set unknown attribute", entryWith(Op{Path: "devices/disk", Set: map[string]string{"driver.iox": "native"}}), "ops[0].set[driver.iox]", "attribute iox of <driver> under devices/disk is not part"},
		{"set unreadable value", entryWith(Op{Path: "devices/interface", Set: map[string]string{"driver.queues": "four"}}), "ops[0].set[driver.queues]", "libvirtxml cannot read the result"},
		{"set text libvirtxml drops", entryWith(Op{Path: "devices/disk/driver", Set: map[string]string{"#text": "x"}}), "ops[0].set[#text]", "text of <driver> under devices/disk"},
		{"unset unknown", entryWith(Op{Path: "devices/disk", Unset: []string{"driver.nosuch"}}), "ops[0].unset[0]", "attribute nosuch of <driver>"},
		{"create with selector", entryWith(Op{Path: "devices/rng", All: true, Create: map[string]string{}}), "ops[0].create", "takes no first, nth, all or match"},
		{"create root", entryWith(Op{Path: "/domain", Create: map[string]string{}}), "ops[0].create", "always exists"},
		{"create bad attribute name", entryWith(Op{Path: "features/pmu", Create: map[string]string{"st ate": "off"}}), "ops[0].create[st ate]", "not an attribute name"},
		{"create unknown attribute", entryWith(Op{Path: "features/pmu", Create: map[string]string{"mode": "off"}}), "ops[0].create", "attribute mode of <pmu> under features is not part"},
		{"delete root", entryWith(Op{Path: "/domain", Delete: true}), "ops[0].delete", "cannot be deleted"},
		{"merge not XML", entryWith(Op{Path: "devices/interface", Merge: "<interface><driver></interface>"}), "ops[0].merge", "not XML"},
		{"merge wrong root", entryWith(Op{Path: "devices/interface", Merge: `<driver queues="2"/>`}), "ops[0].merge", "the fragment's root is <driver>; it must be <interface>"},
		{"merge unknown element", entryWith(Op{Path: "devices/interface", Merge: `<interface><foo/></interface>`}), "ops[0].merge", "element <foo> under devices/interface is not part of libvirt's domain model as libvirtxml knows it"},
		{"merge unknown nested attribute", entryWith(Op{Path: "devices/interface", Merge: `<interface><driver queues="2"><host csumm="off"/></driver></interface>`}), "ops[0].merge", "attribute csumm of <host> under devices/interface/driver"},
		{"merge two roots", entryWith(Op{Path: "devices/interface", Merge: `<interface><driver queues="2"/></interface><interface/>`}), "ops[0].merge", "2 root elements"},
		{"merge changes nothing", entryWith(Op{Path: "devices/interface", Merge: `<interface/>`}), "ops[0].merge", "changes nothing"},
		{"set xmlns on the root", entryWith(Op{Path: "/domain", Set: map[string]string{"xmlns": "http://example.com/"}}), "ops[0].set[xmlns]", "namespace declaration"},
		{"merge a default namespace", entryWith(Op{Path: "/domain", Merge: `<domain xmlns="http://example.com/"><title>x</title></domain>`}), "ops[0].merge", "declares a default namespace"},
		{"set xmlns:q on the root", entryWith(Op{Path: "/domain", Set: map[string]string{"xmlns:q": "http://example.com/"}}), "ops[0].set[xmlns:q]", "namespace declaration"},
		{"create xmlns", entryWith(Op{Path: "features/pmu", Create: map[string]string{"xmlns": "x"}}), "ops[0].create[xmlns]", "namespace declaration"},
		{"set the name", entryWith(Op{Path: "name", Set: map[string]string{"#text": "other"}}), "ops[0].path", "writes /domain/name"},
		{"set the uuid", entryWith(Op{Path: "uuid", Set: map[string]string{"#text": "5d1f7c3a-9b2e-4f60-a8c4-d2e1b7f9a014"}}), "ops[0].path", "writes /domain/uuid"},
		{"set name from the root", entryWith(Op{Path: "/domain", Set: map[string]string{"name.#text": "other"}}), "ops[0].path", "writes /domain/name"},
		{"merge a name at the root", entryWith(Op{Path: "/domain", Merge: `<domain><name>other</name></domain>`}), "ops[0].path", "writes /domain/name"},
		{"delete the uuid", entryWith(Op{Path: "uuid", Delete: true}), "ops[0].path", "writes /domain/uuid"},
		{"match typo on a device", entryWith(Op{Path: "devices/disk", Match: []string{"dev=vdb"}, Delete: true}), "ops[0].match[0]", "attribute dev of <disk> under devices is not part"},
		{"add with a selector", entryWith(Op{Path: "devices/interface", All: true, Add: `<interface type="bridge"/>`}), "ops[0].add", "takes no first, nth, all or match"},
		{"add wrong root", entryWith(Op{Path: "devices/interface", Add: `<disk/>`}), "ops[0].add", "the fragment's root is <disk>"},
		{"add inside a device", entryWith(Op{Path: "devices/interface/driver", Add: `<driver/>`}), "ops[0].add", "add appends a device"},
		{"add unknown element", entryWith(Op{Path: "devices/interface", Add: `<interface type="bridge"><foo/></interface>`}), "ops[0].add", "element <foo> under devices/interface"},
		{"path too long", entryWith(Op{Path: strings.Repeat("devices/", 100) + "disk", Delete: true}), "ops[0].path", "804 bytes: at most 512"},
		{"path too deep", entryWith(Op{Path: strings.Repeat("a/", 20) + "b", Delete: true}), "ops[0].path", "21 elements deep: at most 16"},
		{"property too deep", entryWith(Op{Path: "devices/disk", Set: map[string]string{strings.Repeat("a.", 20) + "b": "x"}}), "ops[0].set[" + strings.Repeat("a.", 20) + "b]", "21 parts: at most 16"},
		{"too many set keys", entryWith(Op{Path: "devices/disk", Set: manyKeys(65)}), "ops[0].set", "65 properties: at most 64"},
		{"too many ops", entryWith(manyOps(65)...), "ops", "65 operations: at most 64"},
		{"fragment too large", entryWith(Op{Path: "devices/interface", Merge: "<interface>" + strings.Repeat("<!-- x -->", 7000) + "</interface>"}), "ops[0].merge", "fragment of 70023 bytes: at most 65536"},
		{"fragment too many elements", entryWith(Op{Path: "cputune", Merge: "<cputune>" + strings.Repeat(`<vcpupin vcpu="0" cpuset="0"/>`, 1100) + "</cputune>"}), "ops[0].merge", "1101 elements"},
		{"long name", Entry{Name: strings.Repeat("a", 300), After: "uefi", Select: VMSelector{Name: "*"}, Ops: []Op{ok}}, "name", "300 bytes: at most 256"},
		{"merge unknown namespaced element", entryWith(Op{Path: "/domain", Merge: `<domain xmlns:q="http://libvirt.org/schemas/domain/qemu/1.0"><q:commandline><q:nosuch/></q:commandline></domain>`}), "ops[0].merge", "element <q:nosuch> under commandline"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			err := e.Provision()
			if err == nil {
				err = e.Validate()
			}
			if err == nil {
				t.Fatal("no error")
			}
			got := entryError(3, e.Name, err)
			if got.Field != tc.field {
				t.Errorf("field = %q, want %q (err %v)", got.Field, tc.field, err)
			}
			if !strings.Contains(got.Err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", got.Err, tc.want)
			}
			if e.ready != nil {
				t.Error("an invalid entry is marked ready")
			}
		})
	}
}

// TestErrorText pins the message format the issue asks for.
func TestErrorText(t *testing.T) {
	e := Entry{Name: "ovs-port", After: "nic-multiqueue", Select: VMSelector{Name: "*"}, Ops: []Op{{Path: "devices/interface", Merge: `<interface><foo/></interface>`}}}
	if err := e.Provision(); err != nil {
		t.Fatal(err)
	}
	err := entryError(2, e.Name, e.Validate())
	want := `layers.declarative[2].ops[0].merge "ovs-port": element <foo> under devices/interface is not part of libvirt's domain model as libvirtxml knows it`
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func manyKeys(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("a%d", i)] = "x"
	}
	return m
}

func manyOps(n int) []Op {
	ops := make([]Op, n)
	for i := range ops {
		ops[i] = Op{Path: "features/pmu", Create: map[string]string{}}
	}
	return ops
}
