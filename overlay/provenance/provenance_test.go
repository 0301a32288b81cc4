package provenance

import (
	"encoding/xml"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	before := `<domain type="kvm"><memory unit="k">1024</memory>
<metadata><zs:zstack xmlns:zs="http://zstack.org"><internalId>1</internalId></zs:zstack></metadata>
<devices>
<disk device="disk"><driver name="qemu" cache="none"/><target dev="vda"/></disk>
<disk device="cdrom"><target dev="hdc" bus="ide"/></disk>
<interface><mac address="fa:00:00:00:00:01"/></interface>
<controller type="usb" index="0"/><controller type="scsi"/><controller type="scsi"/>
<video><model type="cirrus"/></video>
<serial type="pty"/>
</devices></domain>`
	after := `<domain type="qemu"><memory unit="k">2048</memory>
<metadata><zs:zstack xmlns:zs="http://zstack.org"><internalId>1</internalId></zs:zstack><s:tags xmlns:s="https://strata.dev/xmlns/1"><tag name="a" value="b"/></s:tags></metadata>
<devices>
<disk device="disk"><driver name="qemu" io="native"/><target dev="vda"/></disk>
<disk device="cdrom"><target dev="sda" bus="sata"/></disk>
<interface><mac address="fa:00:00:00:00:01"/><driver queues="2"/></interface>
<controller type="usb" index="0" model="ehci"/><controller type="scsi"/><controller type="scsi" model="x"/>
<video><model type="cirrus"/></video>
<serial type="pty"/><serial type="file"/>
</devices>
<commandline xmlns="http://libvirt.org/schemas/domain/qemu/1.0"><arg value="-S"/></commandline></domain>`
	a, err := Parse(before)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(after)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range Diff(a, b) {
		got = append(got, fmt.Sprintf("%s %s %q->%q", c.Op, c.Path, c.Old, c.New))
	}
	want := []string{
		`set /domain/@type "kvm"->"qemu"`,
		`set /domain/memory "1024"->"2048"`,
		`added /domain/metadata/strata:tags ""->"<s:tags xmlns:s=\"https://strata.dev/xmlns/1\">…</s:tags>"`,
		`removed /domain/devices/disk[target=hdc] "<disk device=\"cdrom\">…</disk>"->""`,
		`removed /domain/devices/disk[target=vda]/driver/@cache "none"->""`,
		`added /domain/devices/disk[target=vda]/driver/@io ""->"native"`,
		`added /domain/devices/disk[target=sda] ""->"<disk device=\"cdrom\">…</disk>"`,
		`added /domain/devices/interface[mac=fa:00:00:00:00:01]/driver ""->"<driver queues=\"2\"/>"`,
		`added /domain/devices/controller[type=usb,index=0]/@model ""->"ehci"`,
		`added /domain/devices/controller[type=scsi][2]/@model ""->"x"`,
		`added /domain/devices/serial[2] ""->"<serial type=\"file\"/>"`,
		`added /domain/qemu:commandline ""->"<commandline xmlns=\"http://libvirt.org/schemas/domain/qemu/1.0\">…</commandline>"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := Diff(a, a); len(d) != 0 {
		t.Errorf("a tree differs from itself: %v", d)
	}
}

func TestDeclared(t *testing.T) {
	for in, want := range map[string]string{
		"/domain/devices/disk[target=vda]/driver/@io":        "/domain/devices/disk/driver/@io",
		"/domain/devices/controller[type=scsi][2]/@model":    "/domain/devices/controller/@model",
		`/domain/devices/disk[target="a]b"]/driver`:          "/domain/devices/disk/driver",
		"/domain/os/loader":                                  "/domain/os/loader",
		"/domain/metadata/strata:tags/tag[name=team]/@value": "/domain/metadata/strata:tags/tag/@value",
		"/domain/qemu:commandline/qemu:arg[2]/@value":        "/domain/qemu:commandline/qemu:arg/@value",
	} {
		if got := Declared(in); got != want {
			t.Errorf("Declared(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOverlap(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"/domain/devices/disk", "/domain/devices/disk/driver/@io", true},
		{"/domain/devices/disk/driver/@io", "/domain/devices/disk/driver/@io", true},
		{"/domain/devices/disk", "/domain/devices/diskx", false},
		{"/domain/os/loader", "/domain/os/nvram", false},
	} {
		if got := Overlap(c.a, c.b); got != c.want {
			t.Errorf("Overlap(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

// TestEqualPlan: the in-memory comparison agrees with the reflect one on
// each kind the domain types hold.
func TestEqualPlan(t *testing.T) {
	type leaf struct {
		XMLName xml.Name `xml:"leaf"`
		S       string   `xml:"s,attr"`
		N       *uint
		F       float64
		B       [2]int8
	}
	type node struct {
		Name  xml.Name // untagged: its value names the element
		Leafs []leaf
		Next  *node
		M     map[string]int
		I     any
	}
	one, two := uint(1), uint(2)
	for _, c := range []struct {
		name string
		a, b node
		want bool
	}{
		{"zero", node{}, node{}, true},
		{"nil and empty slices", node{Leafs: []leaf{}}, node{}, true},
		{"tagged XMLName ignored", node{Leafs: []leaf{{XMLName: xml.Name{Local: "x"}}}}, node{Leafs: []leaf{{}}}, true},
		{"untagged XMLName compared", node{Name: xml.Name{Local: "x"}}, node{}, false},
		{"string", node{Leafs: []leaf{{S: "a"}}}, node{Leafs: []leaf{{S: "b"}}}, false},
		{"pointer values equal", node{Leafs: []leaf{{N: &one}}}, node{Leafs: []leaf{{N: new(uint(1))}}}, true},
		{"pointer values differ", node{Leafs: []leaf{{N: &one}}}, node{Leafs: []leaf{{N: &two}}}, false},
		{"pointer nil and set", node{Leafs: []leaf{{N: &one}}}, node{Leafs: []leaf{{}}}, false},
		{"array", node{Leafs: []leaf{{B: [2]int8{1, 2}}}}, node{Leafs: []leaf{{B: [2]int8{1, 3}}}}, false},
		{"slice lengths", node{Leafs: []leaf{{}, {}}}, node{Leafs: []leaf{{}}}, false},
		{"recursive", node{Next: &node{Next: &node{Leafs: []leaf{{F: 1}}}}}, node{Next: &node{Next: &node{Leafs: []leaf{{F: 1}}}}}, true},
		{"recursive differs", node{Next: &node{Next: &node{Leafs: []leaf{{F: 1}}}}}, node{Next: &node{Next: &node{Leafs: []leaf{{F: 2}}}}}, false},
		{"map", node{M: map[string]int{"a": 1}}, node{M: map[string]int{"a": 1}}, true},
		{"map differs", node{M: map[string]int{"a": 1}}, node{M: map[string]int{"a": 2}}, false},
		{"interface", node{I: "x"}, node{I: "x"}, true},
		{"interface differs", node{I: "x"}, node{I: 1}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := reflect.ValueOf(&c.a).Elem(), reflect.ValueOf(&c.b).Elem()
			if got := equal(a, b); got != c.want {
				t.Errorf("equal = %v, want %v", got, c.want)
			}
			if got := equalValue(a, b); got != c.want {
				t.Errorf("equalValue = %v, want %v", got, c.want)
			}
		})
	}
}

// TestDeepCopyShares: a copy shares nothing its source's owner could change
// in place, through pointers, slices, arrays, maps and interfaces.
func TestDeepCopyShares(t *testing.T) {
	type leaf struct {
		S string
		N *uint
		B [2]*int
	}
	type node struct {
		Leafs []leaf
		Next  *node
		M     map[string]*leaf
		I     any
		Empty []leaf
	}
	n, k := uint(1), 7
	src := node{
		Leafs: []leaf{{S: "a", N: &n, B: [2]*int{&k, nil}}},
		Next:  &node{Leafs: []leaf{{S: "b"}}},
		M:     map[string]*leaf{"x": {S: "m"}},
		I:     &leaf{S: "i"},
		Empty: []leaf{},
	}
	var cp node
	deepCopy(reflect.ValueOf(&cp).Elem(), reflect.ValueOf(&src).Elem())
	if !reflect.DeepEqual(cp, src) {
		t.Fatalf("copy differs: %+v", cp)
	}
	if cp.Empty == nil {
		t.Error("an empty slice copied as nil")
	}
	*src.Leafs[0].N, *src.Leafs[0].B[0] = 2, 8
	src.Leafs[0].S, src.Next.Leafs[0].S, src.M["x"].S, src.I.(*leaf).S = "A", "B", "M", "I"
	if *cp.Leafs[0].N != 1 || *cp.Leafs[0].B[0] != 7 || cp.Leafs[0].S != "a" || cp.Next.Leafs[0].S != "b" || cp.M["x"].S != "m" || cp.I.(*leaf).S != "i" {
		t.Errorf("the copy changed with its source: %+v", cp)
	}
}

// ScopeOf finds a layer's scope by its Writes slice; a slice changed in
// place gets the scope of its new paths.
func TestScopeOfSliceChangedInPlace(t *testing.T) {
	writes := []string{"/domain/devices/disk/driver/@io"}
	if s := ScopeOf(writes); !s.Contains("/domain/devices/disk/driver/@io") || s.Contains("/domain/os/loader") {
		t.Fatal("scope of the disk driver write is wrong")
	}
	writes[0] = "/domain/os/loader"
	if s := ScopeOf(writes); !s.Contains("/domain/os/loader") || s.Contains("/domain/devices/disk/driver/@io") {
		t.Fatal("a slice changed in place kept its old scope")
	}
}
