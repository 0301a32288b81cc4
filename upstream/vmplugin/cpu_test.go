package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeCPU(t *testing.T) {
	shares := func(v uint) *libvirtxml.DomainCPUTune {
		return &libvirtxml.DomainCPUTune{Shares: &libvirtxml.DomainCPUTuneShares{Value: v}}
	}
	fallback := &libvirtxml.DomainCPUModel{Fallback: "allow"}
	topo := &libvirtxml.DomainCPUTopology{Sockets: 1, Cores: 2, Threads: 1}
	numaTopo := &libvirtxml.DomainCPUTopology{Sockets: 32, Cores: 4, Threads: 1}
	numaCells := &libvirtxml.DomainNuma{Cell: []libvirtxml.DomainCell{{ID: uintPtr(0), CPUs: "0-127", Memory: 2097152, Unit: "KiB"}}}
	for _, tc := range []struct {
		name    string
		cmd     *StartVmCmd
		cfg     Config
		want    *libvirtxml.Domain
		wantErr string
	}{
		{"socketNum and cpuOnSocket", baseCmd(), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Topology: topo},
		}, ""},
		{"cpuSpeed gives shares", cmdWith(func(c *StartVmCmd) { c.CPUSpeed = 1500 }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(3000),
			CPU: &libvirtxml.DomainCPU{Topology: topo},
		}, ""},
		{"nestedVirtualization host-model", cmdWith(func(c *StartVmCmd) { c.NestedVirtualization = "host-model" }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "host-model", Model: fallback, Topology: topo},
		}, ""},
		{"nestedVirtualization host-passthrough", cmdWith(func(c *StartVmCmd) { c.NestedVirtualization = "host-passthrough" }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "host-passthrough", Model: fallback, Topology: topo},
		}, ""},
		{"nestedVirtualization none on aarch64 is host-passthrough", cmdWith(func(c *StartVmCmd) { c.NestedVirtualization = "none" }), cfgArm64, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "host-passthrough", Model: fallback, Topology: topo},
		}, ""},
		{"nestedVirtualization host-model wins on aarch64", cmdWith(func(c *StartVmCmd) { c.NestedVirtualization = "host-model" }), cfgArm64, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "host-model", Model: fallback, Topology: topo},
		}, ""},
		{"nestedVirtualization custom names vmCpuModel", cmdWith(func(c *StartVmCmd) { c.NestedVirtualization = "custom"; c.VMCPUModel = "Haswell-noTSX" }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "custom", Model: &libvirtxml.DomainCPUModel{Fallback: "allow", Value: "Haswell-noTSX"}, Topology: topo},
		}, ""},
		{"nestedVirtualization custom without vmCpuModel", cmdWith(func(c *StartVmCmd) { c.NestedVirtualization = "custom" }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "custom", Model: fallback, Topology: topo},
		}, ""},
		{"nestedVirtualization custom wins on aarch64", cmdWith(func(c *StartVmCmd) { c.NestedVirtualization = "custom"; c.VMCPUModel = "cortex-a57" }), cfgArm64, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "custom", Model: &libvirtxml.DomainCPUModel{Fallback: "allow", Value: "cortex-a57"}, Topology: topo},
		}, ""},
		{"vmCpuModel alone changes nothing", cmdWith(func(c *StartVmCmd) { c.VMCPUModel = "Haswell-noTSX" }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Value: 2}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Topology: topo},
		}, ""},
		{"useNuma with custom", cmdWith(func(c *StartVmCmd) {
			c.UseNuma = true
			c.NestedVirtualization = "custom"
			c.VMCPUModel = "Haswell-noTSX"
		}), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Current: 2, Value: 128}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "custom", Model: &libvirtxml.DomainCPUModel{Fallback: "allow", Value: "Haswell-noTSX"}, Topology: numaTopo, Numa: numaCells},
		}, ""},
		{"useNuma", cmdWith(func(c *StartVmCmd) { c.UseNuma = true; c.CPUSpeed = 10 }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Current: 2, Value: 128}, CPUTune: shares(20),
			CPU: &libvirtxml.DomainCPU{Topology: numaTopo, Numa: numaCells},
		}, ""},
		{"useNuma with host-passthrough", cmdWith(func(c *StartVmCmd) { c.UseNuma = true; c.NestedVirtualization = "host-passthrough" }), cfgX86, &libvirtxml.Domain{
			VCPU: &libvirtxml.DomainVCPU{Placement: "static", Current: 2, Value: 128}, CPUTune: shares(0),
			CPU: &libvirtxml.DomainCPU{Mode: "host-passthrough", Model: fallback, Topology: numaTopo, Numa: numaCells},
		}, ""},
		{"cpuNum negative", cmdWith(func(c *StartVmCmd) { c.CPUNum = -1 }), cfgX86, nil, "cpuNum: -1 is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeCPU, tc.cmd, tc.cfg, nil)
			checkStep(t, got, err, tc.wantErr, tc.want)
		})
	}
}
