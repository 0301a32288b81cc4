package vmplugin

import (
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// The NUMA branch's fixed shape: 128 hot-pluggable vCPUs as 32 sockets of
// 4 cores, all in one cell.
const (
	numaMaxVCPUs = 128
	numaSockets  = 32
	numaCores    = 4
	numaCellCPUs = "0-127"
)

// MakeCPU is make_cpu: <vcpu>, <cputune><shares> and <cpu>. Both branches
// share the cpu mode choice; they differ in vcpu and topology, and NUMA adds
// the single cell.
func MakeCPU(c *BuildContext) error {
	cmd, d := c.Cmd, c.Domain
	if cmd.CPUNum < 0 {
		return fmt.Errorf("cpuNum: %d is negative", cmd.CPUNum)
	}
	shares := cmd.CPUSpeed * int64(cmd.CPUNum)
	if shares < 0 {
		return fmt.Errorf("cpuSpeed: shares %d (cpuSpeed * cpuNum) is negative", shares)
	}
	if cmd.UseNuma {
		d.VCPU = &libvirtxml.DomainVCPU{Placement: "static", Current: uint(cmd.CPUNum), Value: numaMaxVCPUs}
	} else {
		d.VCPU = &libvirtxml.DomainVCPU{Placement: "static", Value: uint(cmd.CPUNum)}
	}
	d.CPUTune = &libvirtxml.DomainCPUTune{Shares: &libvirtxml.DomainCPUTuneShares{Value: uint(shares)}}

	d.CPU = cpuMode(c)
	if cmd.UseNuma {
		mem := floorDiv(cmd.Memory, 1024)
		if mem < 0 {
			return fmt.Errorf("memory: %d is negative", cmd.Memory)
		}
		d.CPU.Topology = &libvirtxml.DomainCPUTopology{Sockets: numaSockets, Cores: numaCores, Threads: 1}
		d.CPU.Numa = &libvirtxml.DomainNuma{Cell: []libvirtxml.DomainCell{
			{ID: uintPtr(0), CPUs: numaCellCPUs, Memory: uint(mem), Unit: "KiB"},
		}}
		return nil
	}
	d.CPU.Topology = &libvirtxml.DomainCPUTopology{Sockets: cmd.SocketNum, Cores: cmd.CPUOnSocket, Threads: 1}
	return nil
}

// cpuMode is the nested-virtualization choice both branches make: the
// requested host mode, or "custom" with the named vmCpuModel, else
// host-passthrough on aarch64 (no named models there), else a bare <cpu>.
func cpuMode(c *BuildContext) *libvirtxml.DomainCPU {
	switch {
	case c.Cmd.NestedVirtualization == "host-model":
		return &libvirtxml.DomainCPU{Mode: "host-model", Model: &libvirtxml.DomainCPUModel{Fallback: "allow"}}
	case c.Cmd.NestedVirtualization == "custom":
		// The seed tests it after host-passthrough; the values exclude each
		// other, so only its place before the aarch64 default matters.
		return &libvirtxml.DomainCPU{Mode: "custom", Model: &libvirtxml.DomainCPUModel{Fallback: "allow", Value: c.Cmd.VMCPUModel}}
	case c.Cmd.NestedVirtualization == "host-passthrough", c.IsAarch64():
		return &libvirtxml.DomainCPU{Mode: "host-passthrough", Model: &libvirtxml.DomainCPUModel{Fallback: "allow"}}
	default:
		return &libvirtxml.DomainCPU{}
	}
}
