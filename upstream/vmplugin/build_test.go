package vmplugin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// TestStepsFollowTheSeed pins Steps to from_StartVmCmd's call order.
func TestStepsFollowTheSeed(t *testing.T) {
	seed := []string{
		"make_root", "make_meta", "make_cpu", "make_memory", "make_os", "make_features", "make_devices",
		"make_video", "make_audio_microphone", "make_nics", "make_volumes", "make_cdrom", "make_graphic_console",
		"make_usb_redirect", "make_addons", "make_balloon_memory", "make_console", "make_sec_label", "make_controllers",
	}
	steps := Steps()
	if len(steps) != len(seed) {
		t.Fatalf("%d steps, the seed has %d", len(steps), len(seed))
	}
	for i, s := range steps {
		if s.Name != seed[i] || s.Make == nil {
			t.Errorf("Steps[%d] = %q (make set: %v), want %q", i, s.Name, s.Make != nil, seed[i])
		}
	}
}

func TestBuildWrapsStepErrors(t *testing.T) {
	boom := errors.New("qemu-img: Could not open")
	h := newFakeHost()
	h.err = map[string]error{"ImageFormat": boom}
	_, err := Build(context.Background(), baseCmd(), cfgX86, h)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	if want := "make_volumes: rootVolume.installPath: qemu-img: Could not open"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want string
	}{
		{"nil command", nil, "build domain: nil StartVmCmd"},
		{"bootDev empty stops at make_os", cmdWith(func(c *StartVmCmd) { c.BootDev = nil }), "make_os: bootDev: list index out of range (bootDev is empty)"},
		{"rootVolume missing stops at make_volumes", cmdWith(func(c *StartVmCmd) { c.RootVolume = nil }), "make_volumes: rootVolume: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), tc.cmd, cfgX86, newFakeHost())
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBuildStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, baseCmd(), cfgX86, newFakeHost())
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "make_root: ") {
		t.Fatalf("err = %v", err)
	}
}

func TestBuildHasNoSideEffectsOnCmd(t *testing.T) {
	cmd := cmdWith(func(c *StartVmCmd) {
		c.DataVolumes = []VolumeTO{dataFile("/ps/d2.qcow2", 2, nil), dataFile("/ps/d1.qcow2", 1, nil)}
	})
	if _, err := Build(context.Background(), cmd, cfgX86, newFakeHost()); err != nil {
		t.Fatal(err)
	}
	if cmd.DataVolumes[0].DeviceID != 2 {
		t.Error("Build reordered the command's dataVolumes")
	}
}

func TestMarshalDomain(t *testing.T) {
	x, err := MarshalDomain(&libvirtxml.Domain{Type: "kvm", Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `<domain type="kvm" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">`; !strings.HasPrefix(x, want) {
		t.Errorf("root start tag: %s", x)
	}
	// An empty domain marshals as <domain></domain>; the declaration still
	// lands inside the start tag.
	x, err = MarshalDomain(&libvirtxml.Domain{})
	if err != nil || !strings.HasPrefix(x, `<domain xmlns:qemu=`) {
		t.Errorf("empty domain: %q, %v", x, err)
	}
	if _, err := MarshalDomain(nil); err == nil {
		t.Error("nil domain marshalled")
	}
}

func TestMarshalDomainOrdersUSBSources(t *testing.T) {
	d := &libvirtxml.Domain{Type: "kvm", Devices: &libvirtxml.DomainDeviceList{Hostdevs: []libvirtxml.DomainHostdev{
		{Managed: "yes", SubsysPCI: &libvirtxml.DomainHostdevSubsysPCI{Source: &libvirtxml.DomainHostdevSubsysPCISource{
			Address: &libvirtxml.DomainAddressPCI{Domain: uintPtr(0), Bus: uintPtr(1), Slot: uintPtr(2), Function: uintPtr(3)}}}},
		{Managed: "yes", SubsysUSB: &libvirtxml.DomainHostdevSubsysUSB{Source: &libvirtxml.DomainHostdevSubsysUSBSource{
			Address: &libvirtxml.DomainAddressUSB{Bus: uintPtr(1), Device: uintPtr(2)},
			Vendor:  &libvirtxml.DomainHostDevProductVendorID{ID: "0x46d"},
			Product: &libvirtxml.DomainHostDevProductVendorID{ID: "0xc52b"},
		}}, Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(0), Port: "2"}}},
		{Managed: "yes", SubsysUSB: &libvirtxml.DomainHostdevSubsysUSB{Source: &libvirtxml.DomainHostdevSubsysUSBSource{
			Address: &libvirtxml.DomainAddressUSB{Bus: uintPtr(3), Device: uintPtr(4)},
		}}},
	}}}
	x, err := MarshalDomain(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `      <source>
        <vendor id="0x46d"></vendor>
        <product id="0xc52b"></product>
        <address bus="1" device="2"></address>
      </source>
      <address type="usb" bus="0" port="2"></address>`
	if !strings.Contains(x, want) {
		t.Errorf("USB source not in schema order:\n%s", x)
	}
	if !strings.Contains(x, `<address domain="0x0000" bus="0x01" slot="0x02" function="0x3"></address>`) ||
		!strings.Contains(x, `<address bus="3" device="4"></address>`) {
		t.Errorf("other hostdevs changed:\n%s", x)
	}
	// The reordered XML still reads back to the same Domain.
	var back libvirtxml.Domain
	if err := back.Unmarshal(x); err != nil {
		t.Fatal(err)
	}
	if back.Devices.Hostdevs[1].SubsysUSB.Source.Vendor.ID != "0x46d" {
		t.Errorf("round trip lost the vendor: %+v", back.Devices.Hostdevs[1].SubsysUSB.Source)
	}
}
