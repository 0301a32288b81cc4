package hostplugin

import (
	"context"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/linux"
)

// Fact is host_plugin.fact: versions, the hardware virtualisation flag and
// the host's IPv4 addresses. A CPU with neither vmx nor svm leaves
// hvmCpuFlag out, and the management node then refuses the host, as it
// should, unless /dev/kvm works (a nested host hiding the flags, see
// linux.Root.HvmCPUFlag); on aarch64 the flag is always "vt".
func (p *HostPlugin) Fact(ctx context.Context, req *kvmagent.Request) (any, error) {
	if err := p.libvirtAnswers(); err != nil {
		return nil, err
	}
	rsp := &FactResponse{AgentResponse: kvmagent.NewAgentResponse()}
	var err error
	if rsp.QemuImgVersion, err = linux.QemuImgVersion(ctx); err != nil {
		return nil, err
	}
	if rsp.LibvirtVersion, err = p.getLibvirtVersion(ctx); err != nil {
		return nil, err
	}
	if rsp.IPAddresses, err = linux.GetIPv4Addresses(); err != nil {
		return nil, err
	}
	if p.cfg.Arch == ArchAarch64 {
		rsp.HvmCPUFlag = "vt"
	} else if rsp.HvmCPUFlag, err = p.cfg.System.HvmCPUFlag(); err != nil {
		return nil, err
	}
	return rsp, nil
}
