package layers

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// MaxNicQueues is Linux's MAX_TAP_QUEUES (256 since 4.0), the cap OpenStack
// Nova's libvirt driver applies to virtio-net multiqueue.
const MaxNicQueues = 256

// NicsEx is the ex.nics block: the interface driver, multiqueue and backend.
type NicsEx struct {
	Driver string   `json:"driver,omitempty"` // "qemu" (default) or "vhost"
	Queues uint     `json:"queues,omitempty"` // 1..256 and at most the vCPU count
	Macs   []string `json:"macs,omitempty"`   // the interfaces to change; empty means all
}

var nicsBlock = &layer.Block[NicsEx]{Name: "nics", Validate: validateNics}

// NicMultiqueue sets the interface driver: backend and queues.
var NicMultiqueue = layer.Layer{
	Name: "nic-multiqueue",
	Doc: `NIC multiqueue and driver on virtio interfaces (all, or those listed by mac).

	"ex": {"nics": {"driver": "qemu", "queues": 2, "macs": ["fa:16:3e:00:00:01"]}}

driver is "qemu" (default) or "vhost" (refused where /dev/vhost-net is
missing). queues is 1..256 (Linux's MAX_TAP_QUEUES, Nova's cap) and at most
the VM's vCPUs: virtio-net multiqueue gives each queue to one vCPU, and
Nova and QEMU's multiqueue guide size it to the vCPU count. Without macs,
every virtio interface changes; a listed non-virtio interface is refused.`,
	Reads:   []string{"ex.nics.driver", "ex.nics.queues", "ex.nics.macs", "cpuNum"},
	Writes:  []string{"/domain/devices/interface/driver"},
	Ex:      nicsBlock,
	Apply:   applyNics,
	Records: true,
}

func (n *NicsEx) driver() string {
	if n.Driver == "" {
		return "qemu"
	}
	return n.Driver
}

func validateNics(n *NicsEx, c *layer.Check) error {
	switch n.driver() {
	case "qemu":
	case "vhost":
		if c.Host != nil && !c.Host.HasVhostNet() {
			return fmt.Errorf("ex.nics.driver: vhost needs /dev/vhost-net, which this host lacks")
		}
	default:
		return fmt.Errorf(`ex.nics.driver: %q: want "qemu" or "vhost"`, n.Driver)
	}
	if n.Queues > MaxNicQueues {
		return fmt.Errorf("ex.nics.queues: %d is above %d (Linux's MAX_TAP_QUEUES)", n.Queues, MaxNicQueues)
	}
	if n.Queues > 0 && int(n.Queues) > c.Cmd.CPUNum {
		return fmt.Errorf("ex.nics.queues: %d is more than the VM's %d vCPUs (cpuNum)", n.Queues, c.Cmd.CPUNum)
	}
	if len(n.Macs) > len(c.Cmd.Nics) {
		return fmt.Errorf("ex.nics.macs: %d macs for the VM's %d nics", len(n.Macs), len(c.Cmd.Nics))
	}
	for i, mac := range n.Macs {
		if hw, err := net.ParseMAC(mac); err != nil || len(hw) != 6 {
			return fmt.Errorf("ex.nics.macs[%d]: %q is not a MAC address", i, truncate(mac))
		}
	}
	return nil
}

func applyNics(c *layer.Context) error {
	n, d := nicsBlock.In(c), c.Domain
	driver := n.driver()
	if d.Devices == nil || len(d.Devices.Interfaces) == 0 {
		return fmt.Errorf("ex.nics: the VM has no interface")
	}
	var targets []*libvirtxml.DomainInterface
	if len(n.Macs) == 0 {
		for i := range d.Devices.Interfaces {
			if isVirtio(&d.Devices.Interfaces[i]) {
				targets = append(targets, &d.Devices.Interfaces[i])
			}
		}
		if len(targets) == 0 {
			return fmt.Errorf("ex.nics: the VM has no virtio interface")
		}
	}
	for i, mac := range n.Macs {
		field := fmt.Sprintf("ex.nics.macs[%d]", i)
		hw, err := net.ParseMAC(mac)
		if err != nil || len(hw) != 6 {
			return fmt.Errorf("%s: %q is not a MAC address", field, mac)
		}
		var found *libvirtxml.DomainInterface
		for j := range d.Devices.Interfaces {
			ifc := &d.Devices.Interfaces[j]
			if ifc.MAC != nil && strings.EqualFold(ifc.MAC.Address, hw.String()) {
				found = ifc
			}
		}
		if found == nil {
			return fmt.Errorf("%s: no interface with mac %s", field, hw)
		}
		if !isVirtio(found) {
			return fmt.Errorf("%s: interface %s has model %q; the driver settings need virtio", field, hw, modelOf(found))
		}
		targets = append(targets, found)
	}
	ifcs := slices.Clone(d.Devices.Interfaces) // as they were, for c.Changed
	for _, ifc := range targets {
		// a new driver: the old one stays as it was
		var drv libvirtxml.DomainInterfaceDriver
		if ifc.Driver != nil {
			drv = *ifc.Driver
		}
		drv.Name = driver
		if n.Queues > 0 {
			drv.Queues = n.Queues
		}
		ifc.Driver = &drv
	}
	c.Changed("/domain/devices", d.Devices, layer.Before("interface", ifcs))
	return nil
}

func isVirtio(ifc *libvirtxml.DomainInterface) bool {
	return ifc.Model != nil && ifc.Model.Type == "virtio"
}

func modelOf(ifc *libvirtxml.DomainInterface) string {
	if ifc.Model == nil {
		return ""
	}
	return ifc.Model.Type
}
