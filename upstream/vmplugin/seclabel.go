package vmplugin

import "libvirt.org/go/libvirtxml"

// MakeSecLabel is make_sec_label: no SELinux/AppArmor labelling, so images
// shared between VMs and hosts keep their labels.
func MakeSecLabel(c *BuildContext) error {
	c.Domain.SecLabel = append(c.Domain.SecLabel, libvirtxml.DomainSecLabel{Type: "none"})
	return nil
}
