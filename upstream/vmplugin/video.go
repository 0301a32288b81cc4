package vmplugin

import "libvirt.org/go/libvirtxml"

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
		for i := 0; i < c.Cmd.VDIMonitorNumber; i++ {
			devs.Videos = append(devs.Videos, libvirtxml.DomainVideo{Model: libvirtxml.DomainVideoModel{Type: c.Cmd.VideoType}})
		}
	}
	return nil
}
