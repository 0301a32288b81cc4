package vmplugin

import "libvirt.org/go/libvirtxml"

// balloonStatsPeriod is how often (seconds) the guest reports memory stats.
const balloonStatsPeriod = 10

// MakeBalloonMemory is make_balloon_memory: a virtio balloon with stats.
func MakeBalloonMemory(c *BuildContext) error {
	c.Devices().MemBalloon = &libvirtxml.DomainMemBalloon{
		Model: "virtio",
		Stats: &libvirtxml.DomainMemBalloonStats{Period: balloonStatsPeriod},
	}
	return nil
}
