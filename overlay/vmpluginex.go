package overlay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// ExPrefix is where the overlay's server serves the extended API and the
// stock API again.
const ExPrefix = "/ex"

// ExStartVMPath is the overlay's start: a StartVmExCmd.
const ExStartVMPath = ExPrefix + "/vm/start"

// LayerSource gives the layer order a request runs from start to end
// (*declarative.Set; a reload swaps it between requests, never within one).
type LayerSource interface {
	Current() *declarative.Snapshot
}

// VmPluginEx is vm_plugin_ex: the stock plugin, embedded, with the
// overlay's start and reboot.
type VmPluginEx struct {
	*vmplugin.VmPlugin
	Layers      LayerSource
	LayerHost   layer.Host   // what layers ask of the machine (linux2.Host)
	LayerConfig layer.Config // the layers' settings
}

var _ kvmagent.Plugin = (*VmPluginEx)(nil)

// NewVmPluginEx wraps the stock plugin; nothing of it is replaced.
func NewVmPluginEx(stock *vmplugin.VmPlugin, layers LayerSource, host layer.Host, cfg layer.Config) *VmPluginEx {
	return &VmPluginEx{VmPlugin: stock, Layers: layers, LayerHost: host, LayerConfig: cfg}
}

// Start registers the stock URIs with the stock contract, the reboot being
// the overlay's: the promoted Start would bind RebootVm to the inner type.
//
//strata:copy upstream/vmplugin.(*VmPlugin).Start h1:RiHT91DIACOrv4iNqN/f90UcKZDoLqLHAQqWZMwiNXg=
func (p *VmPluginEx) Start(s *kvmagent.Server) error {
	s.RegisterAsyncURI(vmplugin.KVMStartVMPath, p.StartVm)
	s.RegisterAsyncURI(vmplugin.KVMStopVMPath, p.StopVm)
	s.RegisterAsyncURI(vmplugin.KVMPauseVMPath, p.PauseVm)
	s.RegisterAsyncURI(vmplugin.KVMResumeVMPath, p.ResumeVm)
	s.RegisterAsyncURI(vmplugin.KVMRebootVMPath, p.RebootVm)
	s.RegisterAsyncURI(vmplugin.KVMDestroyVMPath, p.DestroyVm)
	s.RegisterAsyncURI(vmplugin.KVMVMSyncPath, p.VmSync)
	s.RegisterAsyncURI(vmplugin.KVMVMCheckState, p.CheckVmState)
	return nil
}

// StartEx registers the extended API on the overlay's server: /ex/vm/start
// and every stock VM URI again under /ex/ (a management node may send
// everything to :7071).
func (p *VmPluginEx) StartEx(s *kvmagent.Server) error {
	s.RegisterAsyncURI(ExStartVMPath, p.StartVmEx)
	s.RegisterAsyncURI(ExPrefix+vmplugin.KVMStopVMPath, p.StopVm)
	s.RegisterAsyncURI(ExPrefix+vmplugin.KVMPauseVMPath, p.PauseVm)
	s.RegisterAsyncURI(ExPrefix+vmplugin.KVMResumeVMPath, p.ResumeVm)
	s.RegisterAsyncURI(ExPrefix+vmplugin.KVMRebootVMPath, p.RebootVm)
	s.RegisterAsyncURI(ExPrefix+vmplugin.KVMDestroyVMPath, p.DestroyVm)
	s.RegisterAsyncURI(ExPrefix+vmplugin.KVMVMSyncPath, p.VmSync)
	s.RegisterAsyncURI(ExPrefix+vmplugin.KVMVMCheckState, p.CheckVmState)
	return nil
}

// snapshot is the layer order for one request.
func (p *VmPluginEx) snapshot() []layer.Layer {
	if p.Layers == nil {
		return nil
	}
	if s := p.Layers.Current(); s != nil {
		return s.Layers
	}
	return nil
}

// StartVmEx is /ex/vm/start: the stock start with the layer chain between
// building and defining. It validates before taking any lock and holds
// only the VM's lock (shared with :7070), not the stock process-wide start
// lock, so distinct VMs start in parallel. Its replies are the stock
// start's, except that the vfio IRQ hint (unexported upstream) is absent.
//
//strata:copy upstream/vmplugin.(*VmPlugin).StartVm h1:05ftdY+cEotGhPGUqnMDMY2SXZeRSYA25Qu5FKLS6o4=
func (p *VmPluginEx) StartVmEx(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd, err := excmd.Decode(req.Body)
	if err != nil {
		return nil, err
	}
	rsp := &vmplugin.StartVmResponse{AgentResponse: kvmagent.NewAgentResponse()}
	// Validation takes no lock, as the stock start's: a refused command waits for nothing.
	if err := cmd.ValidateFor(ctx, p.Config.Build, p.Host); err != nil {
		return nil, err
	}
	layers := p.snapshot()
	unlock := p.LockVM(cmd.VMInstanceUUID)
	defer unlock()
	err = p.DoStartVmEx(ctx, cmd, layers)
	if err == nil {
		p.Log.Debug("successfully started vm", "uuid", cmd.VMInstanceUUID, "name", cmd.VMName, "ex", true)
		return rsp, nil
	}
	var kerr *kvmagent.KvmError
	if !errors.As(err, &kerr) {
		return nil, err // replyerror
	}
	text := err.Error()
	switch {
	case strings.Contains(text, "burst") && strings.Contains(text, "Illegal") && strings.Contains(text, "rate"):
		rsp.Error = "QoS exceed max limit, please check and reset it in zstack"
	case strings.Contains(text, "cannot set up guest memory"):
		rsp.Error = "No enough physical memory for guest"
	default:
		rsp.Error = text
	}
	rsp.Success = false
	return rsp, nil
}

// DoStartVmEx is the stock start of a validated command (startValidated,
// which DoStartVm calls after validating) for a StartVmExCmd with the given
// layer order: it maps libvirt's refusal as the seed does. The caller holds
// the VM's lock and has validated cmd.
//
//strata:copy upstream/vmplugin.(*VmPlugin).startValidated h1:qlKPe6NVNzi+Gqslvc49TUREnCDOcLHazTIF0xCyjDk=
func (p *VmPluginEx) DoStartVmEx(ctx context.Context, cmd *excmd.StartVmExCmd, layers []layer.Layer) error {
	err := p.startVmExLocked(ctx, cmd, layers)
	var lerr libvirt.Error
	if err == nil || !errors.As(err, &lerr) {
		return err
	}
	msg := lerr.Message
	p.Log.Warn("libvirt refused to start vm", "vm", cmd.VMInstanceUUID, "err", err)
	unable := kvmagent.Errorf("unable to start vm[uuid:%s, name:%s], libvirt error: %s", cmd.VMInstanceUUID, cmd.VMName, msg)
	if strings.Contains(msg, "Device or resource busy") {
		return unable
	}
	vm, gerr := p.GetVmByUUID(ctx, cmd.VMInstanceUUID, false)
	if gerr != nil || vm == nil {
		return unable
	}
	if vm.State != vmplugin.VMStateRunning {
		return kvmagent.Errorf("vm[uuid:%s, name:%s, state:%s] is not in running state, libvirt error: %s",
			cmd.VMInstanceUUID, cmd.VMName, vm.State, msg)
	}
	return nil // libvirt complained but the VM runs: the seed reports success
}

// startVmExLocked refuses a running VM, clears a stopped one, builds the
// stock domain, runs the layers on it and defines+starts the result. As the
// stock start does, it undoes what a failed start created on the host
// (secrets, directories, iSCSI logins). Unlike it, it takes no process-wide
// start lock: the VM's own lock is enough.
//
//strata:copy upstream/vmplugin.(*VmPlugin).startVmLocked h1:gZXJrwXfCNG5m/iM933rXSz8L6uBGLNIpB6IwbiG+Zk=
func (p *VmPluginEx) startVmExLocked(ctx context.Context, cmd *excmd.StartVmExCmd, layers []layer.Layer) (err error) {
	ctx, undo := vmplugin.BeginStart(ctx)
	defer func() { p.FinishStart(ctx, cmd.VMInstanceUUID, undo, err) }()
	existing, err := p.GetVmByUUIDNoRetry(ctx, cmd.VMInstanceUUID, false)
	if err != nil {
		return err
	}
	if existing != nil {
		if existing.State == vmplugin.VMStateRunning {
			return kvmagent.Errorf("vm[uuid:%s, name:%s] is already running", cmd.VMInstanceUUID, existing.Name())
		}
		if err := existing.Destroy(ctx, p.liveHost()); err != nil {
			return err
		}
	}
	vm, err := p.FromStartVmCmd(ctx, &cmd.StartVmCmd)
	if err != nil {
		return err
	}
	res, err := p.applyLayers(ctx, cmd, vm, layers)
	if err != nil {
		return err
	}
	if len(res.Applied) > 0 {
		p.Log.Info("layers applied", "vm", cmd.VMInstanceUUID, "layers", strings.Join(res.Applied, ","), "changes", len(res.Changes))
	}
	if err := vm.Start(ctx, cmd.Timeout); err != nil {
		p.undefineLeftover(cmd.VMInstanceUUID)
		return err
	}
	return nil
}

// undefineLeftover removes the definition a failed start left inactive.
// The stock start undefines after a failed create with a plain Undefine,
// which libvirt refuses for a domain with UEFI variables ("cannot undefine
// domain with nvram"): the stock agent never writes <nvram>, the UEFI layer
// does, so the overlay undefines with the NVRAM flag. A domain that runs
// after all is left alone (the start path then reports success).
func (p *VmPluginEx) undefineLeftover(uuid string) {
	err := p.Conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.LookupDomainByName(uuid)
		if err != nil {
			return nil // nothing left behind
		}
		defer dom.Free()
		if active, err := dom.IsActive(); err != nil || active {
			return err
		}
		return dom.UndefineFlags(libvirt.DOMAIN_UNDEFINE_NVRAM | libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE)
	})
	if err != nil {
		p.Log.Warn("failed start: could not undefine what it left", "vm", uuid, "err", err)
	}
}

// applyLayers runs the chain on the stock Vm's domain and puts the result
// in its place. A layer's failure is a KvmError, so it reaches the
// management node in the envelope.
func (p *VmPluginEx) applyLayers(ctx context.Context, cmd *excmd.StartVmExCmd, vm *vmplugin.Vm, layers []layer.Layer) (layer.Result, error) {
	lc := &layer.Context{Ctx: ctx, Cmd: cmd, Domain: vm.Domain, Host: p.LayerHost, Config: p.LayerConfig, Log: p.Log.With("vm", cmd.VMInstanceUUID)}
	res, err := layer.Run(lc, layers)
	if err != nil {
		return res, kvmagent.Errorf("unable to start vm[uuid:%s, name:%s]: %s", cmd.VMInstanceUUID, cmd.VMName, err)
	}
	vm.Domain, vm.DomainXML = lc.Domain, res.FinalXML
	return res, nil
}

// liveHost is the stock stop's host: the plugin's own, never a wrapper.
func (p *VmPluginEx) liveHost() *vmplugin.LiveHost {
	h, _ := p.Host.(*vmplugin.LiveHost)
	return h
}

// Render builds the domain of cmd as /ex/vm/start would, with host, and
// runs layers on it; it defines nothing (render, tests).
func Render(ctx context.Context, cmd *excmd.StartVmExCmd, cfg vmplugin.Config, host vmplugin.Host, lc layer.Context, layers []layer.Layer) (layer.Result, error) {
	if err := cmd.Validate(); err != nil {
		return layer.Result{}, err
	}
	dom, err := vmplugin.Build(ctx, &cmd.StartVmCmd, cfg, host)
	if err != nil {
		return layer.Result{}, err
	}
	lc.Ctx, lc.Cmd, lc.Domain = ctx, cmd, dom
	if lc.Log == nil {
		lc.Log = slog.New(slog.DiscardHandler)
	}
	res, err := layer.Run(&lc, layers)
	if err != nil {
		return res, fmt.Errorf("vm[uuid:%s]: %w", cmd.VMInstanceUUID, err)
	}
	return res, nil
}
