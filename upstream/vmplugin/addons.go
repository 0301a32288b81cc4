package vmplugin

import (
	"fmt"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// channelDirPerm is the seed's linux.mkdir(basedir, 0777).
const channelDirPerm = 0o777

// MakeAddons is make_addons: the guest agent channel, the Ceph secret,
// and PCI and USB passthrough.
func MakeAddons(c *BuildContext) error {
	a := c.Cmd.Addons
	if a.IsEmpty() {
		return nil
	}
	devs := c.Devices()
	if ch := a.Channel; ch != nil {
		// QEMU creates the socket but not its directory.
		dir := pyDirname(ch.SocketPath)
		if err := c.Host.MkdirAll(dir, channelDirPerm); err != nil {
			return fmt.Errorf("addons.channel.socketPath: mkdir %s: %w", dir, err)
		}
		devs.Channels = append(devs.Channels, libvirtxml.DomainChannel{
			Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Mode: "bind", Path: ch.SocketPath}},
			Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: ch.TargetName}},
		})
	}
	if a.CephSecretKey != "" && a.CephSecretUUID != "" {
		if err := c.Host.CreateCephSecret(c.Ctx, a.CephSecretKey, a.CephSecretUUID); err != nil {
			return fmt.Errorf("addons.ceph_secret_uuid: %w", err)
		}
	}
	for i, addr := range a.PciDevice {
		hd, err := pciHostdev(addr)
		if err != nil {
			return fmt.Errorf("addons.pciDevice[%d]: %w", i, err)
		}
		devs.Hostdevs = append(devs.Hostdevs, hd)
	}
	if len(a.UsbDevice) > 0 {
		return makeUSBDevices(devs, a.UsbDevice)
	}
	return nil
}

// pciHostdev is make_pci_device for one "[domain:]bus:slot.function"
// address (hex). The seed's parsing is kept: the domain is the first
// field unless there are exactly two, the bus the second-to-last, and the
// slot and function the last split at '.'.
func pciHostdev(addr string) (libvirtxml.DomainHostdev, error) {
	parts := strings.Split(addr, ":")
	field := func(name, s string) (*uint, error) {
		v, err := pyInt(s, 16)
		if err != nil {
			return nil, fmt.Errorf("pci address %q: %s: %w", addr, name, err)
		}
		if v < 0 || uint64(v) > uint64(^uint(0)) {
			return nil, fmt.Errorf("pci address %q: %s %s is out of range", addr, name, pyHex(v))
		}
		return uintPtr(uint(v)), nil
	}
	var (
		src libvirtxml.DomainAddressPCI
		err error
	)
	if len(parts) == 2 {
		src.Domain = uintPtr(0)
	} else if src.Domain, err = field("domain", parts[0]); err != nil {
		return libvirtxml.DomainHostdev{}, err
	}
	if len(parts) < 2 {
		return libvirtxml.DomainHostdev{}, fmt.Errorf("pci address %q: no bus (list index out of range)", addr)
	}
	if src.Bus, err = field("bus", parts[len(parts)-2]); err != nil {
		return libvirtxml.DomainHostdev{}, err
	}
	slotFn := strings.Split(parts[len(parts)-1], ".")
	if src.Slot, err = field("slot", slotFn[0]); err != nil {
		return libvirtxml.DomainHostdev{}, err
	}
	if len(slotFn) < 2 {
		return libvirtxml.DomainHostdev{}, fmt.Errorf("pci address %q: no function after '.' (list index out of range)", addr)
	}
	if src.Function, err = field("function", slotFn[1]); err != nil {
		return libvirtxml.DomainHostdev{}, err
	}
	return libvirtxml.DomainHostdev{
		Managed: "yes",
		SubsysPCI: &libvirtxml.DomainHostdevSubsysPCI{
			Driver: &libvirtxml.DomainHostdevSubsysPCIDriver{Name: "vfio"},
			Source: &libvirtxml.DomainHostdevSubsysPCISource{Address: &src},
		},
	}, nil
}

// usbPorts hands out guest USB ports per controller, as make_usb_device's
// counters do: UHCI (bus 0) from port 2 (port 1 is the tablet), EHCI and
// XHCI from port 1.
type usbPorts [3]int

// makeUSBDevices is make_usb_device: each "bus:dev:vendor:product:version"
// becomes a USB hostdev on the controller of its USB version (first digit:
// 1 → bus 0, 2 → bus 1, 3 → bus 2).
func makeUSBDevices(devs *libvirtxml.DomainDeviceList, usbDevices []string) error {
	next := usbPorts{2, 1, 1}
	for i, usb := range usbDevices {
		if err := makeUSBDevice(devs, usb, &next); err != nil {
			return fmt.Errorf("addons.usbDevice[%d]: %w", i, err)
		}
	}
	return nil
}

func makeUSBDevice(devs *libvirtxml.DomainDeviceList, usb string, next *usbPorts) error {
	parts := strings.Split(usb, ":")
	if len(parts) != 5 {
		return fmt.Errorf("cannot find usb device %s", usb)
	}
	dec := func(name, s string) (*uint, error) {
		v, err := pyInt(s, 10)
		if err != nil {
			return nil, fmt.Errorf("usb device %s: %s: %w", usb, name, err)
		}
		if v < 0 {
			return nil, fmt.Errorf("usb device %s: %s %d is negative", usb, name, v)
		}
		return uintPtr(uint(v)), nil
	}
	hexID := func(name, s string) (string, error) {
		v, err := pyInt(s, 16)
		if err != nil {
			return "", fmt.Errorf("usb device %s: %s: %w", usb, name, err)
		}
		return pyHex(v), nil
	}
	hostBus, err := dec("bus", parts[0])
	if err != nil {
		return err
	}
	hostDev, err := dec("device", parts[1])
	if err != nil {
		return err
	}
	vendor, err := hexID("vendor", parts[2])
	if err != nil {
		return err
	}
	product, err := hexID("product", parts[3])
	if err != nil {
		return err
	}
	if parts[4] == "" {
		return fmt.Errorf("usb device %s: empty usb version (string index out of range)", usb)
	}
	major, err := pyInt(parts[4][:1], 10)
	if err != nil {
		return fmt.Errorf("usb device %s: usb version: %w", usb, err)
	}
	bus := major - 1
	if bus < 0 || bus >= int64(len(next)) {
		return fmt.Errorf("unknown usb controller %d", bus)
	}
	port := next[bus]
	next[bus]++
	devs.Hostdevs = append(devs.Hostdevs, libvirtxml.DomainHostdev{
		Managed: "yes",
		SubsysUSB: &libvirtxml.DomainHostdevSubsysUSB{Source: &libvirtxml.DomainHostdevSubsysUSBSource{
			Address: &libvirtxml.DomainAddressUSB{Bus: hostBus, Device: hostDev},
			Vendor:  &libvirtxml.DomainHostDevProductVendorID{ID: vendor},
			Product: &libvirtxml.DomainHostDevProductVendorID{ID: product},
		}},
		Address: &libvirtxml.DomainAddress{USB: &libvirtxml.DomainAddressUSB{Bus: uintPtr(uint(bus)), Port: strconv.Itoa(port)}},
	})
	return nil
}
