package hostplugin

import (
	"context"
	"errors"
	"fmt"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

// Capacity is host_plugin.capacity: the host's CPUs and memory, and what
// the running VMs use of them.
func (p *HostPlugin) Capacity(ctx context.Context, req *kvmagent.Request) (any, error) {
	sys := p.cfg.System
	rsp := &CapacityResponse{AgentResponse: kvmagent.NewAgentResponse()}
	var err error
	if rsp.CPUNum, err = sys.CPUNum(); err != nil {
		return nil, err
	}
	if rsp.CPUSpeed, err = sys.CPUSpeed(); err != nil {
		return nil, err
	}
	if rsp.TotalMemory, err = sys.TotalMemory(); err != nil {
		return nil, err
	}
	if rsp.CPUSockets, err = sys.CPUSockets(); err != nil {
		return nil, err
	}
	if rsp.UsedCPU, rsp.UsedMemory, err = p.usedByRunningVMs(); err != nil {
		return nil, err
	}
	p.log.Debug("get host capacity", "cpuNum", rsp.CPUNum, "cpuSpeed", rsp.CPUSpeed, "usedCpu", rsp.UsedCPU,
		"totalMemory", rsp.TotalMemory, "usedMemory", rsp.UsedMemory, "cpuSockets", rsp.CPUSockets)
	return rsp, nil
}

// usedByRunningVMs is vm_plugin.get_cpu_memory_used_by_running_vms: the
// vcpus and the current memory (bytes) of every active domain, paused ones
// included, as the seed's listDomainsID includes them.
func (p *HostPlugin) usedByRunningVMs() (int, int64, error) {
	if p.conn == nil {
		return 0, 0, errors.New("get cpu and memory used by running vms: no libvirt connection")
	}
	type used struct {
		cpus   int
		memory int64
	}
	// Call, not Do: the totals come back as the result, so a call abandoned
	// after libvirt's timeout writes nothing this function returns.
	u, err := virtconn.Call(p.conn, func(c *libvirt.Connect) (used, error) {
		var u used
		doms, err := c.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_ACTIVE)
		if err != nil {
			return used{}, err
		}
		defer func() {
			for i := range doms {
				_ = doms[i].Free()
			}
		}()
		for i := range doms {
			info, err := doms[i].GetInfo()
			if virtconn.IsNoDomain(err) {
				continue // stopped between the listing and now
			}
			if err != nil {
				return used{}, err
			}
			u.cpus += int(info.NrVirtCpu)
			u.memory += int64(info.Memory) * 1024 // KiB
		}
		return u, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("get cpu and memory used by running vms: %w", err)
	}
	return u.cpus, u.memory, nil
}
