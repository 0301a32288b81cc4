package overlay

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// ExPrefix is where the overlay's server serves the extended API and the
// stock API again.
const ExPrefix = "/ex"

// ExStartVMPath is the overlay's start: a StartVmExCmd.
const ExStartVMPath = ExPrefix + "/vm/start"

// VmPluginEx is vm_plugin_ex: the stock plugin, embedded, with the
// overlay's start and reboot. It is the live start.Target of /ex/vm/start.
type VmPluginEx struct {
	*vmplugin.VmPlugin
	Layers  start.Source // the layers and their config per request
	Machine layer.Host   // what layers ask of the machine (linux2.Host)
	// Phases receives the phase durations of each ex start (metrics).
	Phases start.Phases
	// Fixes are the vendor fixes :7070's start runs between build and
	// define (layers.VendorFixes; the ex chain runs them first too).
	Fixes []layer.Layer

	starts atomic.Uint64
}

var (
	_ kvmagent.Plugin = (*VmPluginEx)(nil)
	_ start.Target    = (*VmPluginEx)(nil)
)

// NewVmPluginEx wraps the stock plugin; nothing of it is replaced.
func NewVmPluginEx(stock *vmplugin.VmPlugin, layers start.Source, host layer.Host) *VmPluginEx {
	return &VmPluginEx{VmPlugin: stock, Layers: layers, Machine: host}
}

// Start registers the stock URIs with the stock contract, the reboot being
// the overlay's: the promoted Start would bind RebootVm to the inner type.
//
//strata:copy upstream/vmplugin.(*VmPlugin).Start h1:gXwAGzK1JQmzV3A8MlhAKNOFjX0j7DpnqDiwl9/FlTM=
func (p *VmPluginEx) Start(s *kvmagent.Server) error {
	s.RegisterAsyncURI(vmplugin.KVMStartVMPath, p.StartVm)
	s.RegisterAsyncURI(vmplugin.KVMStopVMPath, p.StopVm)
	s.RegisterAsyncURI(vmplugin.KVMPauseVMPath, p.PauseVm)
	s.RegisterAsyncURI(vmplugin.KVMResumeVMPath, p.ResumeVm)
	s.RegisterAsyncURI(vmplugin.KVMRebootVMPath, p.RebootVm)
	s.RegisterAsyncURI(vmplugin.KVMDestroyVMPath, p.DestroyVm)
	s.RegisterAsyncURI(vmplugin.KVMVMSyncPath, p.VmSync, kvmagent.InLane(kvmagent.LaneQuery))
	s.RegisterAsyncURI(vmplugin.KVMVMCheckState, p.CheckVmState, kvmagent.InLane(kvmagent.LaneQuery))
	s.RegisterAsyncURI(vmplugin.KVMResizeVolumePath, p.KvmResizeVolume)
	return nil
}

// StartEx registers the overlay's own VM handlers on the overlay's server:
// /ex/vm/start. Every other stock VM URI is served there too, under /ex/
// (a management node may send everything to :7071), by MirrorEx from the
// stock route table.
func (p *VmPluginEx) StartEx(s *kvmagent.Server) error {
	s.RegisterAsyncURI(ExStartVMPath, p.StartVmEx)
	return nil
}

// passwdAttr is a graphics password in domain XML (<graphics passwd=...>).
var passwdAttr = regexp.MustCompile(`passwd=("[^"]*"|'[^']*')`)

// maskPasswd hides graphics passwords from a logged domain XML.
func maskPasswd(x string) string { return passwdAttr.ReplaceAllString(x, `passwd="*****"`) }

// current is the layers of one request.
func (p *VmPluginEx) current() start.Layers {
	if p.Layers == nil {
		return start.Layers{}
	}
	return p.Layers.Current()
}

// StartVmEx is /ex/vm/start: the stock start with the layer chain between
// building and defining (package start owns the path). The whole request
// is validated before any lock or host action; it holds only the VM's
// lock (shared with :7070), as the stock start does, so distinct VMs start
// in parallel. Its replies are the stock start's.
//
//strata:copy upstream/vmplugin.(*VmPlugin).StartVm h1:wXXXivsoZRhcAJVQenWVoIvrEXkkbfOKXztOUXpUmYM=
func (p *VmPluginEx) StartVmEx(ctx context.Context, req *kvmagent.Request) (any, error) {
	ls := p.current()
	cmd, err := start.Decode(ctx, req.Body, ls, p)
	if err != nil {
		return nil, err // a refusal: nothing was touched
	}
	kvmagent.AddLogAttrs(ctx, "vm", cmd.VMInstanceUUID)
	// the debug log below prints the explain listing, summaries and all
	opt := start.Options{Phases: p.Phases, Explain: p.Log.Enabled(ctx, slog.LevelDebug)}
	if n := ls.FullDiffEvery; n > 0 && p.starts.Add(1)%n == 0 {
		opt.FullDiff = true
	}
	res, err := start.RunDecoded(ctx, cmd, ls, p, opt)
	if err == nil {
		if len(res.Applied) > 0 {
			p.Log.InfoContext(ctx, "layers applied", "vm", cmd.VMInstanceUUID, "layers", strings.Join(res.Applied, ","), "changes", len(res.Changes))
		}
		if p.Log.Enabled(ctx, slog.LevelDebug) {
			p.Log.DebugContext(ctx, "ex start: defined domain", "vm", cmd.VMInstanceUUID,
				"xml", maskPasswd(res.FinalXML), "explain", res.Explain())
		}
		p.Log.DebugContext(ctx, "successfully started vm", "vm", cmd.VMInstanceUUID, "name", cmd.VMName, "ex", true)
	}
	return startReply(cmd.VMInstanceUUID, err)
}

// startReply is the stock start's answer to a start's outcome: success, a
// KvmError as success:false with the stock rewording of two libvirt
// refusals and the vfio IRQ hint, any other error as the server's error
// reply.
//
//strata:copy upstream/vmplugin.(*VmPlugin).StartVm h1:wXXXivsoZRhcAJVQenWVoIvrEXkkbfOKXztOUXpUmYM=
func startReply(uuid string, err error) (any, error) {
	rsp := &vmplugin.StartVmResponse{AgentResponse: kvmagent.NewAgentResponse()}
	if err == nil {
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
	if vfio := vfioIrqConflict(uuid); vfio != "" {
		rsp.Error = vfio + ", details: " + rsp.Error
	}
	rsp.Success = false
	return rsp, nil
}

// ValidateStock implements start.Target: the stock validation with the
// host's vCPU bound (one capabilities call).
func (p *VmPluginEx) ValidateStock(ctx context.Context, cmd *vmplugin.StartVmCmd) error {
	return cmd.ValidateFor(ctx, p.Config.Build, p.Host)
}

// LayerHost implements start.Target: the machine, and the libvirt it runs
// (layer.LibvirtVersioner) from the plugin's connection.
func (p *VmPluginEx) LayerHost() layer.Host { return versionedHost{Host: p.Machine, p: p} }

// versionedHost is a layer.Host that also tells the libvirt version.
type versionedHost struct {
	layer.Host
	p *VmPluginEx
}

// LibvirtVersion implements layer.LibvirtVersioner.
func (h versionedHost) LibvirtVersion() (uint32, error) {
	var v uint32
	err := h.p.Conn.Do(func(c *libvirt.Connect) error {
		var err error
		v, err = c.GetLibVersion()
		return err
	})
	return v, err
}

// Lock implements start.Target: the VM's lock, shared with :7070.
func (p *VmPluginEx) Lock(uuid string) func() { return p.LockVM(uuid) }

// liveStart is one ex start on this host.
type liveStart struct {
	p    *VmPluginEx
	ctx  context.Context
	cmd  *excmd.StartVmExCmd
	undo *vmplugin.StartUndo
	vm   *vmplugin.Vm
	// stockLock: define and create hold the stock start lock (:7070's
	// start, which serves the stock contract); the ex start does not.
	stockLock bool
}

// Begin implements start.Target: it opens the undo list and clears the
// way as the stock start does.
func (p *VmPluginEx) Begin(ctx context.Context, cmd *excmd.StartVmExCmd) (start.Attempt, error) {
	ctx, undo := vmplugin.BeginStart(ctx)
	s := &liveStart{p: p, ctx: ctx, cmd: cmd, undo: undo}
	if err := s.clear(ctx, cmd); err != nil {
		return nil, s.Finish(err)
	}
	return s, nil
}

// clear refuses a running VM and destroys a stopped one's definition, as
// the stock start does before it builds.
//
//strata:copy upstream/vmplugin.(*VmPlugin).startVmLocked h1:gZXJrwXfCNG5m/iM933rXSz8L6uBGLNIpB6IwbiG+Zk=
func (s *liveStart) clear(ctx context.Context, cmd *excmd.StartVmExCmd) (err error) {
	p := s.p
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
	return nil
}

func (s *liveStart) Context() context.Context { return s.ctx }

// Build builds and marshals the stock domain, recording into the undo
// list. The command was validated before the lock (ValidateStock): it is
// not validated again.
func (s *liveStart) Build(ctx context.Context) (*libvirtxml.Domain, string, error) {
	p, cmd := s.p, s.cmd
	vm, err := p.FromValidatedStartVmCmd(ctx, &cmd.StartVmCmd)
	if err != nil {
		return nil, "", err
	}
	s.vm = vm
	if s.stockLock {
		p.SerializeStart(vm)
	}
	return vm.Domain, vm.DomainXML, nil
}

// Launch defines and starts the final domain.
func (s *liveStart) Launch(ctx context.Context, dom *libvirtxml.Domain, xml string) error {
	s.vm.Domain, s.vm.DomainXML = dom, xml
	if err := s.vm.Start(ctx, s.cmd.Timeout); err != nil {
		s.p.undefineLeftover(s.ctx, s.cmd.VMInstanceUUID)
		return err
	}
	return nil
}

// Finish undoes what a failed start created (FinishStart), then maps
// libvirt's refusal as the seed does. The caller holds the VM's lock.
//
//strata:copy upstream/vmplugin.(*VmPlugin).startValidated h1:uZeWAbEowV9PUfwfLNfowQchH3WT6twmEsxIcd+Ef10=
func (s *liveStart) Finish(err error) error {
	p, cmd := s.p, s.cmd
	p.FinishStart(s.ctx, cmd.VMInstanceUUID, s.undo, err)
	var lerr libvirt.Error
	if err == nil || !errors.As(err, &lerr) {
		return err
	}
	msg := lerr.Message
	p.Log.WarnContext(s.ctx, "libvirt refused to start vm", "vm", cmd.VMInstanceUUID, "err", err)
	unable := kvmagent.Errorf("unable to start vm[uuid:%s, name:%s], libvirt error: %s", cmd.VMInstanceUUID, cmd.VMName, msg)
	if strings.Contains(msg, "Device or resource busy") {
		return unable
	}
	vm, gerr := p.GetVmByUUID(s.ctx, cmd.VMInstanceUUID, false)
	if gerr != nil || vm == nil {
		return unable
	}
	if vm.State != vmplugin.VMStateRunning {
		return kvmagent.Errorf("vm[uuid:%s, name:%s, state:%s] is not in running state, libvirt error: %s",
			cmd.VMInstanceUUID, cmd.VMName, vm.State, msg)
	}
	return nil // libvirt complained but the VM runs: the seed reports success
}

// undefineLeftover removes the definition a failed start left inactive.
// The stock start undefines after a failed create with a plain Undefine,
// which libvirt refuses for a domain with UEFI variables ("cannot undefine
// domain with nvram"): the stock agent never writes <nvram>, the UEFI layer
// does, so the overlay undefines with the NVRAM flag. A domain that runs
// after all is left alone (the start path then reports success).
func (p *VmPluginEx) undefineLeftover(ctx context.Context, uuid string) {
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
		p.Log.WarnContext(ctx, "failed start: could not undefine what it left", "vm", uuid, "err", err)
	}
}

// liveHost is the stock stop's host: the plugin's own, never a wrapper.
func (p *VmPluginEx) liveHost() *vmplugin.LiveHost {
	h, _ := p.Host.(*vmplugin.LiveHost)
	return h
}
