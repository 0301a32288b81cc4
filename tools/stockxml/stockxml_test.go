package stockxml_test

import (
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/stockxml"
)

const dom = `<domain type="kvm"><os><type arch="x86_64">hvm</type></os><devices>` +
	`<disk device="disk"><driver name="qemu" cache="none"/><target dev="vda"/></disk>` +
	`<disk device="cdrom"><driver name="qemu" io="native"/><target dev="hdc"/></disk>` +
	`<controller type="usb" index="0" model="piix3-uhci"/>` +
	`<serial type="pty"><target port="0"/></serial>` +
	`<interface type="bridge"><mac address="52:54:00:aa:bb:cc"/><model type="virtio"/></interface>` +
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
		// Recorded paths, with predicates as provenance writes them.
		{"/domain/devices/disk[target=hdc]/driver/@io", []string{"native"}},
		{"/domain/devices/disk[target=vda]/driver/@io", nil},
		{"/domain/devices/disk[target=sda]", nil},
		{"/domain/devices/disk[2]/target/@dev", []string{"hdc"}},
		{`/domain/devices/disk[target="vda"]/driver/@cache`, []string{"none"}},
		{"/domain/devices/controller[type=usb,index=0]/@model", []string{"piix3-uhci"}},
		{"/domain/devices/controller[type=usb,index=1]", nil},
		{"/domain/devices/serial[port=0]/@type", []string{"pty"}},
		{"/domain/devices/interface[mac=52:54:00:aa:bb:cc]/model/@type", []string{"virtio"}},
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
	// A refused case has no values: the refusal is its own finding.
	got, _ := stockxml.At(stockxml.Case{Error: "make_volumes: boom", Stage: "build"}, "/domain/os")
	if got != nil {
		t.Errorf("refused case = %q", got)
	}
}

// One path matches a namespaced element however the serializer spelled its
// namespace: libvirtxml's default xmlns, a prefix, or a prefix of the
// document's own choosing; the values serialise alike.
func TestAtNamespaces(t *testing.T) {
	const (
		qemuDefault = `<domain type="kvm"><commandline xmlns="http://libvirt.org/schemas/domain/qemu/1.0"><arg value="-S"/></commandline></domain>`
		qemuPrefix  = `<domain type="kvm" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"><qemu:commandline><qemu:arg value="-S"/></qemu:commandline></domain>`
		qemuOther   = `<domain type="kvm" xmlns:q="http://libvirt.org/schemas/domain/qemu/1.0"><q:commandline><q:arg value="-S"/></q:commandline></domain>`
		tagsDefault = `<domain><metadata><tags xmlns="https://strata.dev/xmlns/1"><tag name="a" value="1"/></tags></metadata></domain>`
		tagsPrefix  = `<domain><metadata><strata:tags xmlns:strata="https://strata.dev/xmlns/1"><strata:tag name="a" value="1"/></strata:tags></metadata></domain>`
		unknown     = `<domain xmlns:ov="urn:x-other"><metadata><ov:thing ov:k="v"/></metadata></domain>`
	)
	const qemuWant = `<qemu:commandline><qemu:arg value="-S"/></qemu:commandline>`
	const tagsWant = `<strata:tags><strata:tag name="a" value="1"/></strata:tags>`
	tests := []struct {
		name, xml, path string
		want            []string
	}{
		{"qemu default xmlns", qemuDefault, "/domain/qemu:commandline", []string{qemuWant}},
		{"qemu prefix", qemuPrefix, "/domain/qemu:commandline", []string{qemuWant}},
		{"qemu other prefix", qemuOther, "/domain/qemu:commandline", []string{qemuWant}},
		{"qemu arg attribute", qemuDefault, "/domain/qemu:commandline/qemu:arg/@value", []string{"-S"}},
		{"tags default xmlns", tagsDefault, "/domain/metadata/strata:tags", []string{tagsWant}},
		{"tags prefix", tagsPrefix, "/domain/metadata/strata:tags", []string{tagsWant}},
		{"undeclared namespace takes the document's prefix", unknown, "/domain/metadata/ov:thing/@k", []string{"v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stockxml.At(stockxml.Case{XML: tt.xml}, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

// A tree whose release does not build is an error, never a crash.
func TestRenderBrokenRelease(t *testing.T) {
	dir := t.TempDir()
	if _, err := stockxml.Render(t.Context(), dir, dir); err == nil {
		t.Error("Render in a directory without a module succeeded")
	}
}

func TestDeclared(t *testing.T) {
	tests := map[string]string{
		"/domain/devices/disk[target=vda]/driver/@io":   "/domain/devices/disk/driver/@io",
		"/domain/devices/controller[type=sata,index=0]": "/domain/devices/controller",
		`/domain/devices/channel[target="a]b"]/@type`:   "/domain/devices/channel/@type",
		"/domain/devices/serial[2]":                     "/domain/devices/serial",
		"/domain/qemu:commandline":                      "/domain/qemu:commandline",
		"/domain/devices/hostdev[type=pci][2]/source":   "/domain/devices/hostdev/source",
	}
	for in, want := range tests {
		if got := stockxml.Declared(in); got != want {
			t.Errorf("Declared(%s) = %s, want %s", in, got, want)
		}
	}
}
