package vmplugin

// defaultDomainType is the seed's hard-coded <domain type>.
const defaultDomainType = "kvm"

// MakeRoot is make_root: the <domain> element and its type. The seed's
// literal xmlns:qemu attribute is added by MarshalDomain (libvirtxml has no
// field for it).
func MakeRoot(c *BuildContext) error {
	c.Domain.Type = c.Config.DomainType
	if c.Domain.Type == "" {
		c.Domain.Type = defaultDomainType
	}
	return nil
}
