package linux2

// vhostNetPath is the kernel's vhost-net device; without it libvirt refuses
// <driver name='vhost'> on an interface ("vhost-net was requested for an
// interface, but is unavailable").
const vhostNetPath = "/dev/vhost-net"

// HasVhostNet reports whether /dev/vhost-net exists below Root. Presence
// only: libvirtd (root) opens it, the agent need not be able to.
func (h *Host) HasVhostNet() bool {
	return h.exists(vhostNetPath)
}
