package hostplugin

import (
	"context"

	"github.com/strataagent/strata/upstream/kvmagent"
)

// Connect is host_plugin.connect: remember who manages this host and where
// to send reports, apply the management node's iptables rules, and answer
// the libvirt and qemu versions. The host uuid is kept even when a later
// step fails, as in the seed.
//
// Not ported: the seed also writes a udev rule and a script that report USB
// hot-plug events to the management node, and deletes stale vm-<id>-vnc
// iptables chains; this agent has no USB passthrough or VNC firewall yet.
func (p *HostPlugin) Connect(ctx context.Context, req *kvmagent.Request) (any, error) {
	var cmd ConnectCmd
	if err := kvmagent.DecodeCommand(req, &cmd); err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.hostUUID = cmd.HostUUID
	p.sendCommandURL = cmd.SendCommandURL
	p.mu.Unlock()
	p.log.Info("host connected", "path", ConnectPath, "hostUuid", cmd.HostUUID, "sendCommandUrl", cmd.SendCommandURL)

	if err := p.libvirtAnswers(); err != nil {
		return nil, err
	}
	rsp := &ConnectResponse{AgentResponse: kvmagent.NewAgentResponse()}
	var err error
	if rsp.LibvirtVersion, err = p.getLibvirtVersion(ctx); err != nil {
		return nil, err
	}
	if rsp.QemuVersion, err = p.getQemuVersion(ctx); err != nil {
		return nil, err
	}
	if err := p.applyIptablesRules(ctx, cmd.IptablesRules); err != nil {
		return nil, err
	}
	rsp.IptablesSucc = true
	return rsp, nil
}
