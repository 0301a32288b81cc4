package overlay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/linux2"
	"github.com/strataagent/strata/upstream/hostplugin"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

// CapacityEx serves /ex/host/capacity: the stock reply, with the host's
// static facts (CPUs, speed, sockets, memory) from linux2's short-lived
// cache instead of a fresh read of /proc and /sys on every call: the
// management node asks on every connect and reconnect, and a host that
// reconnects in a storm answers from memory. What the running VMs use is
// read from libvirt each time, as the stock handler does.
type CapacityEx struct {
	Facts *linux2.CapacityCache
	Conn  *virtconn.Conn
	Log   *slog.Logger
}

// Capacity is the handler.
func (c *CapacityEx) Capacity(ctx context.Context, _ *kvmagent.Request) (any, error) {
	facts, err := c.Facts.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("host capacity: %w", err)
	}
	rsp := &hostplugin.CapacityResponse{
		AgentResponse: kvmagent.NewAgentResponse(),
		CPUNum:        facts.CPUNum,
		CPUSpeed:      facts.CPUSpeed,
		CPUSockets:    facts.CPUSockets,
		TotalMemory:   facts.TotalMemory,
	}
	if rsp.UsedCPU, rsp.UsedMemory, err = usedByRunningVMs(c.Conn); err != nil {
		return nil, err
	}
	if c.Log != nil {
		c.Log.Debug("get host capacity (cached facts)", "cpuNum", rsp.CPUNum, "usedCpu", rsp.UsedCPU, "totalMemory", rsp.TotalMemory, "usedMemory", rsp.UsedMemory)
	}
	return rsp, nil
}

// usedByRunningVMs is the stock host plugin's own count (unexported there),
// on the shared connection.
//
//strata:copy upstream/hostplugin.(*HostPlugin).usedByRunningVMs h1:2QW7pU2fYse+zKhc19WUfWa6bb5QcX4lT5aZjo8oLHg=
func usedByRunningVMs(conn *virtconn.Conn) (int, int64, error) {
	if conn == nil {
		return 0, 0, errors.New("get cpu and memory used by running vms: no libvirt connection")
	}
	type used struct {
		cpus   int
		memory int64
	}
	// Call, not Do: the totals come back as the result, so a call abandoned
	// after libvirt's timeout writes nothing this function returns.
	u, err := virtconn.Call(conn, func(c *libvirt.Connect) (used, error) {
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
