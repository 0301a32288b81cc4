package vmplugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/linux"
	"github.com/strataagent/strata/upstream/virtconn"
)

// The URIs vm_plugin serves; all are async.
const (
	KVMStartVMPath   = "/vm/start"
	KVMStopVMPath    = "/vm/stop"
	KVMPauseVMPath   = "/vm/pause"
	KVMResumeVMPath  = "/vm/resume"
	KVMRebootVMPath  = "/vm/reboot"
	KVMDestroyVMPath = "/vm/destroy"
	KVMVMSyncPath    = "/vm/vmsync"
	KVMVMCheckState  = "/vm/checkstate"

	KVMResizeVolumePath = "/volume/resize"
)

// PluginConfig is the agent configuration vm_plugin reads.
type PluginConfig struct {
	Build    Config
	Emulator string // default emulator when addons.qemuPath is unset; "" searches like get_qemu_path
	Timing   Timing // zero fields take DefaultTiming's
	// ConfinedDirs are the only directories the agent creates or removes
	// paths in (LiveHost.ConfinedDirs); nil means pathguard.DefaultDirs().
	ConfinedDirs []string
}

// VmPlugin is vm_plugin.VmPlugin.
type VmPlugin struct {
	Config PluginConfig
	Conn   *virtconn.Conn
	Host   Host
	Log    *slog.Logger

	startLock sync.Mutex // the seed's @lock.lock('libvirt-startvm'), held only around Vm.Start
	vmLocksMu sync.Mutex
	vmLocks   map[string]*vmLock // one operation per VM at a time; an entry lives while someone holds or waits for it
}

// vmLock is one VM's lock and the number of callers holding or waiting for it.
type vmLock struct {
	mu    sync.Mutex
	users int
}

var _ kvmagent.Plugin = (*VmPlugin)(nil)

// New returns a VmPlugin that builds with a LiveHost on conn.
func New(cfg PluginConfig, conn *virtconn.Conn, log *slog.Logger) *VmPlugin {
	if log == nil {
		log = slog.Default()
	}
	cfg.Timing = withDefaults(cfg.Timing)
	if cfg.Build.DomainType == "" {
		cfg.Build.DomainType = "kvm"
	}
	if cfg.Build.Arch == "" {
		cfg.Build.Arch = ArchX86_64
	}
	return &VmPlugin{
		Config: cfg,
		Conn:   conn,
		Host:   &LiveHost{Conn: conn, Emulator: cfg.Emulator, Log: log, ConfinedDirs: cfg.ConfinedDirs},
		Log:    log,
	}
}

func withDefaults(t Timing) Timing {
	d := DefaultTiming()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&t.PollInterval, d.PollInterval)
	set(&t.VncPortWait, d.VncPortWait)
	set(&t.GracefulStopWait, d.GracefulStopWait)
	set(&t.DestroyWait, d.DestroyWait)
	set(&t.UndefineWait, d.UndefineWait)
	set(&t.PauseWait, d.PauseWait)
	set(&t.ResumeWait, d.ResumeWait)
	set(&t.LookupRetryDelay, d.LookupRetryDelay)
	if t.LookupRetries <= 0 {
		t.LookupRetries = d.LookupRetries
	}
	return t
}

// Start registers vm_plugin's URIs.
func (p *VmPlugin) Start(s *kvmagent.Server) error {
	s.RegisterAsyncURI(KVMStartVMPath, p.StartVm)
	s.RegisterAsyncURI(KVMStopVMPath, p.StopVm)
	s.RegisterAsyncURI(KVMPauseVMPath, p.PauseVm)
	s.RegisterAsyncURI(KVMResumeVMPath, p.ResumeVm)
	s.RegisterAsyncURI(KVMRebootVMPath, p.RebootVm)
	s.RegisterAsyncURI(KVMDestroyVMPath, p.DestroyVm)
	s.RegisterAsyncURI(KVMVMSyncPath, p.VmSync, kvmagent.InLane(kvmagent.LaneQuery))
	s.RegisterAsyncURI(KVMVMCheckState, p.CheckVmState, kvmagent.InLane(kvmagent.LaneQuery))
	s.RegisterAsyncURI(KVMResizeVolumePath, p.KvmResizeVolume)
	return nil
}

// Stop has nothing to release: the connection belongs to the agent.
func (p *VmPlugin) Stop() error { return nil }

// LockVM serializes operations on one VM and returns the unlock.
// The entry is dropped when its last user unlocks, so the map holds only
// VMs being worked on, not every uuid ever seen.
func (p *VmPlugin) LockVM(uuid string) func() {
	p.vmLocksMu.Lock()
	if p.vmLocks == nil {
		p.vmLocks = map[string]*vmLock{}
	}
	l := p.vmLocks[uuid]
	if l == nil {
		l = &vmLock{}
		p.vmLocks[uuid] = l
	}
	l.users++
	p.vmLocksMu.Unlock()

	l.mu.Lock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Unlock()
			p.vmLocksMu.Lock()
			defer p.vmLocksMu.Unlock()
			if l.users--; l.users == 0 {
				delete(p.vmLocks, uuid)
			}
		})
	}
}

// lockedVMs is how many VMs have a lock entry (tests).
func (p *VmPlugin) lockedVMs() int {
	p.vmLocksMu.Lock()
	defer p.vmLocksMu.Unlock()
	return len(p.vmLocks)
}

func (p *VmPlugin) newVm(uuid string) *Vm {
	return &Vm{
		UUID:         uuid,
		conn:         p.Conn,
		timing:       p.Config.Timing,
		checkVncPort: !strings.HasPrefix(p.Conn.URI(), "test:"),
		logger:       p.Log,
	}
}

// GetVmByUUID is get_vm_by_uuid: retried lookups; a missing VM is a KvmError
// `unable to find vm[uuid:%s]`, or (nil, nil) when mustExist is false.
func (p *VmPlugin) GetVmByUUID(ctx context.Context, uuid string, mustExist bool) (*Vm, error) {
	return p.lookup(ctx, uuid, mustExist, p.Config.Timing.LookupRetries)
}

// GetVmByUUIDNoRetry is get_vm_by_uuid_no_retry.
func (p *VmPlugin) GetVmByUUIDNoRetry(ctx context.Context, uuid string, mustExist bool) (*Vm, error) {
	return p.lookup(ctx, uuid, mustExist, 1)
}

func (p *VmPlugin) lookup(ctx context.Context, uuid string, mustExist bool, tries int) (*Vm, error) {
	vm := p.newVm(uuid)
	var err error
	for i := 0; i < tries; i++ {
		if err = vm.Refresh(); err == nil {
			return vm, nil
		}
		if i+1 < tries {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(p.Config.Timing.LookupRetryDelay):
			}
		}
	}
	if virtconn.IsNoDomain(err) {
		if mustExist {
			return nil, kvmagent.Errorf("unable to find vm[uuid:%s]", uuid)
		}
		return nil, nil
	}
	var lerr libvirt.Error
	if errors.As(err, &lerr) {
		return nil, fmt.Errorf("error happened when looking up vm[uuid:%s], libvirt error code: %d, %s: %w", uuid, lerr.Code, lerr.Message, err)
	}
	return nil, err
}

// FromStartVmCmd is Vm.from_StartVmCmd: validate, build and marshal.
func (p *VmPlugin) FromStartVmCmd(ctx context.Context, cmd *StartVmCmd) (*Vm, error) {
	if err := cmd.ValidateFor(ctx, p.Config.Build, p.Host); err != nil {
		return nil, err
	}
	return p.buildVm(ctx, cmd)
}

// FromValidatedStartVmCmd is FromStartVmCmd for a command the caller has
// validated itself (ValidateFor, once, before any lock): build and marshal
// with no second validation and no second capabilities call. The seed's
// from_StartVmCmd does not validate; a start path built on this plugin
// validates the whole request first and builds with this.
func (p *VmPlugin) FromValidatedStartVmCmd(ctx context.Context, cmd *StartVmCmd) (*Vm, error) {
	return p.buildVm(ctx, cmd)
}

// SerializeStart makes vm's define and create hold the plugin's start lock,
// as the stock start's do (the seed's @lock.lock('libvirt-startvm')): a
// start path built on the plugin that serves the stock contract keeps the
// stock serialization with it.
func (p *VmPlugin) SerializeStart(vm *Vm) { vm.defineLock = &p.startLock }

// buildVm builds and marshals a validated command. It only reads images,
// so it takes no lock.
func (p *VmPlugin) buildVm(ctx context.Context, cmd *StartVmCmd) (*Vm, error) {
	dom, err := Build(ctx, cmd, p.Config.Build, p.hostFor(ctx))
	if err != nil {
		return nil, err
	}
	x, err := MarshalDomain(dom)
	if err != nil {
		return nil, fmt.Errorf("marshal domain of vm[uuid:%s]: %w", cmd.VMInstanceUUID, err)
	}
	vm := p.newVm(cmd.VMInstanceUUID)
	vm.DomainXML, vm.Domain = x, dom
	return vm, nil
}

// DoStartVm is _start_vm: refuse a running VM, clear a stopped one, build,
// define, start, and map libvirt's refusal as the seed does. The caller
// holds the VM's lock (StartVm does), which makes one of several
// concurrent starts of a VM the one that defines it.
//
// Unlike the seed, the command is validated first and the process-wide
// start lock covers only Vm.Start (define, create, wait): image probing
// and iscsi logins read the host for this VM alone, and one hanging
// qemu-img must not hold every other start.
func (p *VmPlugin) DoStartVm(ctx context.Context, cmd *StartVmCmd) error {
	if err := cmd.ValidateFor(ctx, p.Config.Build, p.Host); err != nil {
		return err
	}
	return p.startValidated(ctx, cmd)
}

func (p *VmPlugin) startValidated(ctx context.Context, cmd *StartVmCmd) error {
	err := p.startVmLocked(ctx, cmd)
	if err == nil || !isLibvirtError(err) {
		return err
	}
	msg := libvirtMessage(err)
	p.Log.WarnContext(ctx, "libvirt refused to start vm", "vm", cmd.VMInstanceUUID, "err", err)
	unable := kvmagent.Errorf("unable to start vm[uuid:%s, name:%s], libvirt error: %s", cmd.VMInstanceUUID, cmd.VMName, msg)
	if strings.Contains(msg, "Device or resource busy") {
		return unable
	}
	vm, lerr := p.GetVmByUUID(ctx, cmd.VMInstanceUUID, false)
	if lerr != nil || vm == nil {
		return unable
	}
	if vm.State != VMStateRunning {
		return kvmagent.Errorf("vm[uuid:%s, name:%s, state:%s] is not in running state, libvirt error: %s",
			cmd.VMInstanceUUID, cmd.VMName, vm.State, msg)
	}
	return nil // libvirt complained but the VM runs: the seed reports success
}

// startVmLocked runs under the VM's lock; it takes the start lock itself,
// around Vm.Start only. What a failed start created is undone after the
// start lock is released.
func (p *VmPlugin) startVmLocked(ctx context.Context, cmd *StartVmCmd) (err error) {
	ctx, undo := BeginStart(ctx)
	defer func() { p.FinishStart(ctx, cmd.VMInstanceUUID, undo, err) }()
	existing, err := p.GetVmByUUIDNoRetry(ctx, cmd.VMInstanceUUID, false)
	if err != nil {
		return err
	}
	if existing != nil {
		if existing.State == VMStateRunning {
			return kvmagent.Errorf("vm[uuid:%s, name:%s] is already running", cmd.VMInstanceUUID, existing.Name())
		}
		if err := existing.Destroy(ctx, p.liveHost()); err != nil {
			return err
		}
	}
	vm, err := p.buildVm(ctx, cmd)
	if err != nil {
		return err
	}
	vm.defineLock = &p.startLock
	return vm.Start(ctx, cmd.Timeout)
}

func (p *VmPlugin) liveHost() *LiveHost {
	h, _ := p.Host.(*LiveHost)
	return h
}

// StartVm is the /vm/start handler (start_vm).
func (p *VmPlugin) StartVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &StartVmCmd{}
	if err := kvmagent.DecodeCommand(req, cmd); err != nil {
		return nil, err
	}
	kvmagent.AddLogAttrs(ctx, "vm", cmd.VMInstanceUUID)
	rsp := &StartVmResponse{AgentResponse: kvmagent.NewAgentResponse()}
	// Validation takes no lock: a refused command waits for nothing.
	if err := cmd.ValidateFor(ctx, p.Config.Build, p.Host); err != nil {
		return nil, err
	}
	unlock := p.LockVM(cmd.VMInstanceUUID)
	defer unlock()
	err := p.startValidated(ctx, cmd)
	if err == nil {
		p.Log.DebugContext(ctx, "successfully started vm", "uuid", cmd.VMInstanceUUID, "name", cmd.VMName)
		return rsp, nil
	}
	var kerr *kvmagent.KvmError
	if !errors.As(err, &kerr) {
		return nil, err // replyerror
	}
	text := err.Error()
	switch {
	case containsAll(text, "burst", "Illegal", "rate"):
		rsp.Error = "QoS exceed max limit, please check and reset it in zstack"
	case strings.Contains(text, "cannot set up guest memory"):
		rsp.Error = "No enough physical memory for guest"
	default:
		rsp.Error = text
	}
	if vfio := handleVfioIrqConflict(cmd.VMInstanceUUID); vfio != "" {
		rsp.Error = vfio + ", details: " + rsp.Error
	}
	rsp.Success = false
	return rsp, nil
}

// StartVmResponse adds nothing to the envelope.
type StartVmResponse struct {
	kvmagent.AgentResponse
}

// StopVmCmd is /vm/stop's command.
type StopVmCmd struct {
	UUID    string `json:"uuid"`
	Type    string `json:"type"` // "cold" is a hard stop; anything else is graceful
	Timeout int64  `json:"timeout"`
}

// VmCmd is the command of destroy, pause and resume.
type VmCmd struct {
	UUID    string `json:"uuid"`
	Timeout int64  `json:"timeout"`
}

// RebootVmCmd is /vm/reboot's command.
type RebootVmCmd struct {
	UUID    string   `json:"uuid"`
	Timeout int64    `json:"timeout"`
	BootDev []string `json:"bootDev"`
}

// CheckVmStateCmd is /vm/checkstate's command.
type CheckVmStateCmd struct {
	VMUUIDs  []string `json:"vmUuids"`
	HostUUID string   `json:"hostUuid"`
}

// StatesResponse is the reply of checkstate and vmsync.
type StatesResponse struct {
	kvmagent.AgentResponse
	States map[string]string `json:"states"`
}

func decodeUUID(ctx context.Context, req *kvmagent.Request, v any, uuid *string) error {
	if err := kvmagent.DecodeCommand(req, v); err != nil {
		return err
	}
	if *uuid == "" {
		return errors.New("uuid: missing in command")
	}
	kvmagent.AddLogAttrs(ctx, "vm", *uuid)
	return nil
}

// failed turns a KvmError into the envelope's error and passes anything else
// to replyerror, as the seed's handlers do. A libvirt error reads as
// str(libvirtError) did: its message.
func failed(err error) (any, error) {
	var kerr *kvmagent.KvmError
	if errors.As(err, &kerr) {
		rsp := kvmagent.NewAgentResponse()
		rsp.Fail(err)
		return &rsp, nil
	}
	if lerr, ok := err.(libvirt.Error); ok {
		return nil, errors.New(lerr.Message)
	}
	return nil, err
}

// StopVm is /vm/stop: a missing VM counts as stopped.
func (p *VmPlugin) StopVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &StopVmCmd{}
	if err := decodeUUID(ctx, req, cmd, &cmd.UUID); err != nil {
		return nil, err
	}
	return p.onVm(ctx, cmd.UUID, false, func(vm *Vm) error {
		return vm.Stop(ctx, cmd.Type != "cold", p.liveHost())
	})
}

// DestroyVm is /vm/destroy: a missing VM counts as destroyed.
func (p *VmPlugin) DestroyVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &VmCmd{}
	if err := decodeUUID(ctx, req, cmd, &cmd.UUID); err != nil {
		return nil, err
	}
	return p.onVm(ctx, cmd.UUID, false, func(vm *Vm) error { return vm.Destroy(ctx, p.liveHost()) })
}

// PauseVm is /vm/pause.
func (p *VmPlugin) PauseVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &VmCmd{}
	if err := decodeUUID(ctx, req, cmd, &cmd.UUID); err != nil {
		return nil, err
	}
	return p.onVm(ctx, cmd.UUID, true, func(vm *Vm) error { return vm.Pause(ctx) })
}

// ResumeVm is /vm/resume.
func (p *VmPlugin) ResumeVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &VmCmd{}
	if err := decodeUUID(ctx, req, cmd, &cmd.UUID); err != nil {
		return nil, err
	}
	return p.onVm(ctx, cmd.UUID, true, func(vm *Vm) error { return vm.Resume(ctx) })
}

// onVm runs fn on the VM under its lock and answers in the envelope. A
// missing VM is success when mustExist is false (stop, destroy), else the
// seed's "unable to find vm".
func (p *VmPlugin) onVm(ctx context.Context, uuid string, mustExist bool, fn func(*Vm) error) (any, error) {
	defer p.LockVM(uuid)()
	vm, err := p.GetVmByUUID(ctx, uuid, mustExist)
	if err != nil {
		return failed(err)
	}
	if vm != nil {
		if err := fn(vm); err != nil {
			return failed(err)
		}
	}
	rsp := kvmagent.NewAgentResponse()
	return &rsp, nil
}

// RebootVm is /vm/reboot: a graceful stop, the boot devices replaced by
// bootDev, and a start from the XML libvirt last reported.
func (p *VmPlugin) RebootVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &RebootVmCmd{}
	if err := decodeUUID(ctx, req, cmd, &cmd.UUID); err != nil {
		return nil, err
	}
	return p.onVm(ctx, cmd.UUID, true, func(vm *Vm) error {
		if err := vm.Stop(ctx, true, p.liveHost()); err != nil {
			return err
		}
		if vm.Domain.OS == nil {
			vm.Domain.OS = &libvirtxml.DomainOS{}
		}
		vm.Domain.OS.BootDevices = nil
		for _, dev := range cmd.BootDev {
			vm.Domain.OS.BootDevices = append(vm.Domain.OS.BootDevices, libvirtxml.DomainBootDevice{Dev: dev})
		}
		x, err := MarshalDomain(vm.Domain)
		if err != nil {
			return fmt.Errorf("marshal domain of vm[uuid:%s] for reboot: %w", cmd.UUID, err)
		}
		vm.DomainXML = x
		return vm.Start(ctx, cmd.Timeout)
	})
}

// activeStates lists the active domains' states by name.
func (p *VmPlugin) activeStates() (map[string]string, error) {
	states := map[string]string{}
	err := p.Conn.Do(func(c *libvirt.Connect) error {
		doms, err := c.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_ACTIVE)
		if err != nil {
			return err
		}
		for i := range doms {
			name, nerr := doms[i].GetName()
			st, _, serr := doms[i].GetState()
			doms[i].Free()
			if nerr != nil || serr != nil {
				continue // the domain went away between list and read
			}
			states[name] = StateFromLibvirt(st)
		}
		return nil
	})
	return states, err
}

// CheckVmState is /vm/checkstate: every requested uuid gets a state; one
// libvirt does not list is Running if a qemu process still carries it.
func (p *VmPlugin) CheckVmState(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &CheckVmStateCmd{}
	if err := kvmagent.DecodeCommand(req, cmd); err != nil {
		return nil, err
	}
	active, err := p.activeStates()
	if err != nil {
		return nil, err
	}
	rsp := &StatesResponse{AgentResponse: kvmagent.NewAgentResponse(), States: map[string]string{}}
	for _, uuid := range cmd.VMUUIDs {
		if st, ok := active[uuid]; ok {
			rsp.States[uuid] = st
		} else if qemuRunning(uuid) {
			rsp.States[uuid] = VMStateRunning
		} else {
			rsp.States[uuid] = VMStateShutdown
		}
	}
	return rsp, nil
}

// qemuGuestUUIDs lists the guests of the host's qemu-kvm processes; tests
// swap it for a fixture.
var qemuGuestUUIDs = linux.QemuGuestUUIDs

// VmSync is /vm/vmsync: the active domains, minus libguestfs appliances and
// the management node's own VM, and only in states the management node can
// parse from a sync (an Unknown there fails the whole sync), plus every
// qemu-kvm guest libvirt did not list, as Running.
func (p *VmPlugin) VmSync(ctx context.Context, req *kvmagent.Request) (any, error) {
	active, err := p.activeStates()
	if err != nil {
		return nil, err
	}
	rsp := &StatesResponse{AgentResponse: kvmagent.NewAgentResponse(), States: map[string]string{}}
	for name, st := range active {
		if strings.HasPrefix(name, "guestfs-") || name == "ZStack Management Node VM" {
			continue
		}
		switch st {
		case VMStateRunning, VMStatePaused, VMStateShutdown:
			rsp.States[name] = st
		default:
			p.Log.WarnContext(ctx, "vmsync leaves out a vm in a state the management node cannot take", "vm", name, "state", st)
		}
	}

	// libvirt occasionally misses a VM in its list; double check against
	// the qemu processes. "Not in the list" is libvirt's list (active),
	// before the filter above, which stays the port's.
	guests, err := qemuGuestUUIDs()
	if err != nil {
		p.Log.Warn("vmsync cannot list qemu processes", "err", err)
	}
	for _, guest := range guests {
		if _, ok := active[guest]; ok {
			continue
		}
		p.Log.Warn("guest not found in virsh list", "guest", guest)
		rsp.States[guest] = VMStateRunning
	}
	return rsp, nil
}

// KvmResizeVolumeCommand is /volume/resize's command.
type KvmResizeVolumeCommand struct {
	VMUUID   string `json:"vmUuid"`
	Size     int64  `json:"size"` // bytes
	DeviceID int    `json:"deviceId"`
}

// KvmResizeVolumeRsp adds nothing to the envelope.
type KvmResizeVolumeRsp struct {
	kvmagent.AgentResponse
}

// KvmResizeVolume is /volume/resize (kvm_resize_volume): grow a volume of a
// running VM. Every failure goes to replyerror, as the seed's does.
func (p *VmPlugin) KvmResizeVolume(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &KvmResizeVolumeCommand{}
	if err := decodeUUID(ctx, req, cmd, &cmd.VMUUID); err != nil {
		return nil, err
	}
	defer p.LockVM(cmd.VMUUID)()
	vm, err := p.GetVmByUUID(ctx, cmd.VMUUID, false)
	if err != nil {
		return nil, err
	}
	if vm == nil {
		// The seed calls resize_volume on None: an AttributeError.
		return nil, fmt.Errorf("unable to resize volume[device ID:%d]: vm[uuid:%s] not found", cmd.DeviceID, cmd.VMUUID)
	}
	if err := vm.ResizeVolume(cmd.DeviceID, cmd.Size); err != nil {
		return nil, err
	}
	return &KvmResizeVolumeRsp{AgentResponse: kvmagent.NewAgentResponse()}, nil
}

func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
