package layers

import (
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// SpicevmcWithoutSpice is a vendor fix: the stock builder's USB redirection
// (make_usb_redirect) writes a spicevmc channel and spicevmc redirdevs,
// which libvirt's qemu driver refuses on a VM that has no SPICE graphics
// ("chardev 'spicevmc' not supported without spice graphics"). 2.3.0 does
// so when usbRedirect is "true"; 2.3.2 does so for every x86 VM. The layer
// drops them where no SPICE graphics carries them; with SPICE it does
// nothing. Vendor code stays untouched: the fix lives here and runs on both
// of strata-agent's ports (VendorFixes).
var SpicevmcWithoutSpice = layer.Layer{
	Name: "spicevmc-without-spice",
	Doc: `Vendor fix: no spicevmc channel or redirdev on a VM without SPICE graphics.

	(no ex block: it runs on every start, on :7070 and :7071)

SPICE USB redirection needs SPICE graphics; on a VNC-only VM libvirt's
qemu driver refuses the domain. The USB controllers stay: they are valid
without SPICE.`,
	Writes:  []string{"/domain/devices/channel", "/domain/devices/redirdev"},
	Applies: hasOrphanSpicevmc,
	Apply:   dropOrphanSpicevmc,
	Records: true,
}

// hasSpiceGraphics reports whether d has SPICE graphics to carry spicevmc.
func hasSpiceGraphics(d *libvirtxml.Domain) bool {
	for _, g := range d.Devices.Graphics {
		if g.Spice != nil {
			return true
		}
	}
	return false
}

func isSpicevmc(s *libvirtxml.DomainChardevSource) bool { return s != nil && s.SpiceVMC != nil }

func hasOrphanSpicevmc(c *layer.Context) bool {
	d := c.Domain
	if d == nil || d.Devices == nil || hasSpiceGraphics(d) {
		return false
	}
	for _, ch := range d.Devices.Channels {
		if isSpicevmc(ch.Source) {
			return true
		}
	}
	for _, r := range d.Devices.RedirDevs {
		if isSpicevmc(r.Source) {
			return true
		}
	}
	return false
}

func dropOrphanSpicevmc(c *layer.Context) error {
	devs := c.Domain.Devices
	channels := devs.Channels[:0:0]
	for _, ch := range devs.Channels {
		if !isSpicevmc(ch.Source) {
			channels = append(channels, ch)
		}
	}
	redirs := devs.RedirDevs[:0:0]
	for _, r := range devs.RedirDevs {
		if !isSpicevmc(r.Source) {
			redirs = append(redirs, r)
		}
	}
	wasChannels, wasRedirs := devs.Channels, devs.RedirDevs
	devs.Channels, devs.RedirDevs = nilIfEmpty(channels), nilIfEmpty(redirs)
	c.Changed("/domain/devices", devs, layer.Before("channel", wasChannels), layer.Before("redirdev", wasRedirs))
	return nil
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
