package vmplugin

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeAddons(t *testing.T) {
	agent := libvirtxml.DomainChannel{
		Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Mode: "bind", Path: "/var/lib/libvirt/qemu/5d1f7c3a9b2e4f60a8c4d2e1b7f9a013"}},
		Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "org.qemu.guest_agent.0"}},
	}
	for _, tc := range []struct {
		name       string
		cmd        *StartVmCmd
		want       *libvirtxml.Domain
		wantMkdirs []string
		wantCeph   [][2]string
	}{
		{"addons absent", cmdWith(func(c *StartVmCmd) { c.Addons = nil }), &libvirtxml.Domain{}, nil, nil},
		{"addons empty", cmdWith(func(c *StartVmCmd) { c.Addons = &Addons{} }), &libvirtxml.Domain{}, nil, nil},
		{"channel creates its directory", baseCmd(), devicesOnly(libvirtxml.DomainDeviceList{Channels: []libvirtxml.DomainChannel{agent}}),
			[]string{"/var/lib/libvirt/qemu"}, nil},
		{"ceph_secret_key and ceph_secret_uuid", cmdWith(func(c *StartVmCmd) { c.Addons.CephSecretKey, c.Addons.CephSecretUUID = "AQB==", testSecret }),
			devicesOnly(libvirtxml.DomainDeviceList{Channels: []libvirtxml.DomainChannel{agent}}),
			[]string{"/var/lib/libvirt/qemu"}, [][2]string{{"AQB==", testSecret}}},
		{"ceph_secret_uuid without key", cmdWith(func(c *StartVmCmd) { c.Addons.Channel = nil; c.Addons.CephSecretUUID = testSecret }),
			&libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{}}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHost()
			got, err := runStep(t, MakeAddons, tc.cmd, cfgX86, h)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, tc.want)
			if !reflect.DeepEqual(h.mkdirs, tc.wantMkdirs) {
				t.Errorf("mkdirs = %q, want %q", h.mkdirs, tc.wantMkdirs)
			}
			if !reflect.DeepEqual(h.cephSecrets, tc.wantCeph) {
				t.Errorf("ceph secrets = %q, want %q", h.cephSecrets, tc.wantCeph)
			}
		})
	}
	t.Run("mkdir failure", func(t *testing.T) {
		boom := errors.New("read-only file system")
		h := newFakeHost()
		h.err = map[string]error{"MkdirAll": boom}
		if _, err := runStep(t, MakeAddons, baseCmd(), cfgX86, h); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPciHostdev(t *testing.T) {
	pci := func(dom, bus, slot, fn uint) libvirtxml.DomainHostdev {
		return libvirtxml.DomainHostdev{Managed: "yes", SubsysPCI: &libvirtxml.DomainHostdevSubsysPCI{
			Driver: &libvirtxml.DomainHostdevSubsysPCIDriver{Name: "vfio"},
			Source: &libvirtxml.DomainHostdevSubsysPCISource{Address: &libvirtxml.DomainAddressPCI{
				Domain: uintPtr(dom), Bus: uintPtr(bus), Slot: uintPtr(slot), Function: uintPtr(fn)}},
		}}
	}
	for _, tc := range []struct {
		addr    string
		want    libvirtxml.DomainHostdev
		wantErr string
	}{
		{"0000:03:00.0", pci(0, 3, 0, 0), ""},
		{"04:1f.7", pci(0, 4, 0x1f, 7), ""},
		{"0x1:0A:1f.7", pci(1, 10, 0x1f, 7), ""},
		// More than three fields: the seed reads the first, the second to
		// last and the last, ignoring the middle.
		{"1:2:3:04.1", pci(1, 3, 4, 1), ""},
		{" 0x0a : 1f.7 ", pci(0, 10, 0x1f, 7), ""},
		{"0000:03:00", pci(0, 0, 0, 0), "no function"},
		{"03.0", pci(0, 0, 0, 0), "domain: invalid literal for int() with base 16"},
		{"0000:zz:00.0", pci(0, 0, 0, 0), "bus: invalid literal"},
		{"-1:03:00.0", pci(0, 0, 0, 0), "domain -0x1 is out of range"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			got, err := pciHostdev(tc.addr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got.SubsysPCI.Source.Address, tc.want.SubsysPCI.Source.Address)
			}
		})
	}
}

func TestMakeUSBDevices(t *testing.T) {
	usb := func(hbus, hdev uint, vendor, product string, bus uint, port string) libvirtxml.DomainHostdev {
		return libvirtxml.DomainHostdev{Managed: "yes",
			SubsysUSB: &libvirtxml.DomainHostdevSubsysUSB{Source: &libvirtxml.DomainHostdevSubsysUSBSource{
				Address: &libvirtxml.DomainAddressUSB{Bus: uintPtr(hbus), Device: uintPtr(hdev)},
				Vendor:  &libvirtxml.DomainHostDevProductVendorID{ID: vendor},
				Product: &libvirtxml.DomainHostDevProductVendorID{ID: product},
			}},
			Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(bus), Port: port}},
		}
	}
	for _, tc := range []struct {
		name    string
		devices []string
		want    []libvirtxml.DomainHostdev
		wantErr string
	}{
		{"ports count per controller", []string{"001:002:046d:c52b:2.00", "002:003:0781:5567:1.10", "003:004:1d6b:0003:3.00", "001:005:abcd:1234:1.1", "4:6:0bda:8153:2.10"},
			[]libvirtxml.DomainHostdev{
				usb(1, 2, "0x46d", "0xc52b", 1, "1"),
				usb(2, 3, "0x781", "0x5567", 0, "2"),
				usb(3, 4, "0x1d6b", "0x3", 2, "1"),
				usb(1, 5, "0xabcd", "0x1234", 0, "3"),
				usb(4, 6, "0xbda", "0x8153", 1, "2"),
			}, ""},
		{"four fields", []string{"1:2:3:4"}, nil, "cannot find usb device 1:2:3:4"},
		{"usb 4.0", []string{"1:2:3:4:4.0"}, nil, "unknown usb controller 3"},
		{"usb 0.x", []string{"1:2:3:4:0.9"}, nil, "unknown usb controller -1"},
		{"empty version", []string{"1:2:3:4:"}, nil, "empty usb version"},
		{"hex device number", []string{"1:0x2:3:4:1.1"}, nil, "device: invalid literal for int() with base 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := cmdWith(func(c *StartVmCmd) { c.Addons = &Addons{UsbDevice: tc.devices} })
			got, err := runStep(t, MakeAddons, cmd, cfgX86, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{Hostdevs: tc.want}))
		})
	}
}
