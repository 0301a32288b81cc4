package vmplugin

import (
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// MakeVideo is make_video: virtio on aarch64; otherwise one card of
// videoType, or for qxl one card per VDI monitor.
func MakeVideo(c *BuildContext) error {
	devs := c.Devices()
	switch {
	case c.IsAarch64():
		devs.Videos = append(devs.Videos, libvirtxml.DomainVideo{Model: libvirtxml.DomainVideoModel{Type: "virtio"}})
	case c.Cmd.VideoType != "qxl":
		devs.Videos = append(devs.Videos, libvirtxml.DomainVideo{Model: libvirtxml.DomainVideoModel{Type: c.Cmd.VideoType}})
	default:
		// Validate bounds it too; Build must not allocate a card per unit of
		// an unchecked number (2147483647 ran the process out of memory).
		if n := c.Cmd.VDIMonitorNumber; n > maxQXLMonitors {
			return fmt.Errorf("VDIMonitorNumber: %d is out of range [0, %d] qxl monitors", n, maxQXLMonitors)
		}
		for i := 0; i < c.Cmd.VDIMonitorNumber; i++ {
			devs.Videos = append(devs.Videos, libvirtxml.DomainVideo{Model: libvirtxml.DomainVideoModel{Type: c.Cmd.VideoType}})
		}
	}
	return nil
}
