package vmplugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

// VM states as the management node spells them (Java Enum.valueOf: case matters).
const (
	VMStateNoState   = "NoState"
	VMStateRunning   = "Running"
	VMStatePaused    = "Paused"
	VMStateShutdown  = "Shutdown"
	VMStateCrashed   = "Crashed"
	VMStateSuspended = "Suspended"
)

// StateFromLibvirt maps libvirt's domain state as Vm.power_state does;
// BLOCKED counts as Running.
func StateFromLibvirt(s libvirt.DomainState) string {
	switch s {
	case libvirt.DOMAIN_RUNNING, libvirt.DOMAIN_BLOCKED:
		return VMStateRunning
	case libvirt.DOMAIN_PAUSED:
		return VMStatePaused
	case libvirt.DOMAIN_SHUTDOWN, libvirt.DOMAIN_SHUTOFF:
		return VMStateShutdown
	case libvirt.DOMAIN_CRASHED:
		return VMStateCrashed
	case libvirt.DOMAIN_PMSUSPENDED:
		return VMStateSuspended
	default:
		return VMStateNoState
	}
}

// Timing holds the seed's fixed waits. The defaults are the seed's; tests
// and the config may shorten them.
type Timing struct {
	PollInterval     time.Duration // state polling during start (0.5 s)
	VncPortWait      time.Duration // start: wait for the graphics port (30 s)
	GracefulStopWait time.Duration // stop: shutdown() retries (60 s)
	DestroyWait      time.Duration // stop: destroy() retries (60 s)
	UndefineWait     time.Duration // stop: undefine retries (60 s)
	PauseWait        time.Duration // 10 s
	ResumeWait       time.Duration // 60 s
	LookupRetries    int           // get_vm_by_uuid tries (3)
	LookupRetryDelay time.Duration // 1 s
}

// DefaultTiming is the seed's.
func DefaultTiming() Timing {
	return Timing{
		PollInterval:     500 * time.Millisecond,
		VncPortWait:      30 * time.Second,
		GracefulStopWait: 60 * time.Second,
		DestroyWait:      60 * time.Second,
		UndefineWait:     60 * time.Second,
		PauseWait:        10 * time.Second,
		ResumeWait:       60 * time.Second,
		LookupRetries:    3,
		LookupRetryDelay: time.Second,
	}
}

// Vm is vm_plugin's Vm: one domain, by name (the vmInstanceUuid).
type Vm struct {
	UUID      string
	State     string
	DomainXML string
	Domain    *libvirtxml.Domain

	conn   *virtconn.Conn
	timing Timing
	// checkVncPort is off on libvirt's test driver, where no qemu listens.
	checkVncPort bool
	// defineLock, when set, is held around define+create only (the seed's
	// libvirt-startvm lock), not around the waits that follow.
	defineLock sync.Locker
	logger     *slog.Logger // nil: slog.Default()
}

func (vm *Vm) log() *slog.Logger {
	if vm.logger == nil {
		return slog.Default()
	}
	return vm.logger
}

// Name is get_name(): the domain's <description>, which holds the vmName.
func (vm *Vm) Name() string {
	if vm.Domain == nil {
		return ""
	}
	return vm.Domain.Description
}

// Refresh re-reads state and XML from libvirt (Vm.refresh).
func (vm *Vm) Refresh() error {
	return vm.conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.LookupDomainByName(vm.UUID)
		if err != nil {
			return err
		}
		defer dom.Free()
		return vm.readFrom(dom)
	})
}

func (vm *Vm) readFrom(dom *libvirt.Domain) error {
	st, _, err := dom.GetState()
	if err != nil {
		return fmt.Errorf("read state of vm[uuid:%s]: %w", vm.UUID, err)
	}
	x, err := dom.GetXMLDesc(0)
	if err != nil {
		return fmt.Errorf("read xml of vm[uuid:%s]: %w", vm.UUID, err)
	}
	d := &libvirtxml.Domain{}
	if err := d.Unmarshal(x); err != nil {
		return fmt.Errorf("parse xml of vm[uuid:%s]: %w", vm.UUID, err)
	}
	vm.State, vm.DomainXML, vm.Domain = StateFromLibvirt(st), x, d
	return nil
}

// waitFor polls check every interval until it is true or wait has passed;
// it always checks at least once (a start with timeout 0 still looks once).
func waitFor(ctx context.Context, wait, interval time.Duration, check func() bool) bool {
	deadline := time.Now().Add(wait)
	for {
		if check() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(interval):
		}
	}
}

func (vm *Vm) stateIs(want string) func() bool {
	return func() bool { return vm.Refresh() == nil && vm.State == want }
}

// Start defines and starts the domain and waits for it to run (Vm.start).
// timeout is in seconds; 0 checks once.
func (vm *Vm) Start(ctx context.Context, timeout int64) error {
	if err := checkChannelSockets(vm.Domain); err != nil {
		return err
	}
	if vm.defineLock != nil {
		vm.defineLock.Lock()
	}
	// The create gets the command's own timeout when that is longer than
	// the call timeout (a slow emulator, storage or hugepage preallocation).
	err := vm.conn.DoWithin(time.Duration(timeout)*time.Second, func(c *libvirt.Connect) error {
		dom, err := c.DomainDefineXML(vm.DomainXML)
		if err != nil {
			return err
		}
		defer dom.Free()
		if err := dom.CreateWithFlags(0); err != nil {
			// Leave no half-created VM behind: the seed kept the definition.
			if uerr := dom.Undefine(); uerr != nil {
				return fmt.Errorf("%w (undefine after failed start: %v)", err, uerr)
			}
			return err
		}
		return nil
	})
	if vm.defineLock != nil {
		vm.defineLock.Unlock()
	}
	if err != nil {
		// libvirt's text may quote the XML it refused, passwords included.
		err = maskError(err, graphicsPasswords(vm.Domain)...)
		if err = vm.Reconcile(ctx, err); err != nil {
			return err
		}
	}
	wait := time.Duration(timeout) * time.Second
	if !waitFor(ctx, wait, vm.timing.PollInterval, vm.stateIs(VMStateRunning)) {
		return kvmagent.Errorf("unable to start vm[uuid:%s, name:%s], vm state is not changing to running after %d seconds",
			vm.UUID, vm.Name(), timeout)
	}
	if !vm.checkVncPort {
		return nil
	}
	port := graphicsPort(vm.Domain)
	if port <= 0 {
		return nil
	}
	if !waitFor(ctx, vm.timing.VncPortWait, vm.timing.PollInterval, func() bool { return tcpPortOpen(port) }) {
		return kvmagent.Errorf("unable to start vm[uuid:%s, name:%s]; its vnc port does not open after %d seconds",
			vm.UUID, vm.Name(), int(vm.timing.VncPortWait/time.Second))
	}
	return nil
}

// graphicsPort is the port of the first vnc or spice <graphics> of the live XML.
func graphicsPort(d *libvirtxml.Domain) int {
	if d == nil || d.Devices == nil {
		return 0
	}
	for _, g := range d.Devices.Graphics {
		switch {
		case g.VNC != nil:
			return g.VNC.Port
		case g.Spice != nil:
			return g.Spice.Port
		}
	}
	return 0
}

// Stop is Vm.stop(graceful, undefine=True).
func (vm *Vm) Stop(ctx context.Context, graceful bool, host *LiveHost) error {
	gone := func() bool {
		err := vm.Refresh()
		return virtconn.IsNoDomain(err) || (err == nil && vm.State == VMStateShutdown)
	}
	if graceful {
		waitFor(ctx, vm.timing.GracefulStopWait, time.Second, func() bool {
			if gone() {
				return true
			}
			_ = vm.conn.Do(func(c *libvirt.Connect) error {
				dom, err := c.LookupDomainByName(vm.UUID)
				if err != nil {
					return err
				}
				defer dom.Free()
				return dom.Shutdown()
			})
			return false
		})
	}
	if host != nil {
		host.logoutISCSIDisks(ctx, vm.Domain)
	}
	if !gone() {
		ok := waitFor(ctx, vm.timing.DestroyWait, time.Second, func() bool {
			_ = vm.conn.Do(func(c *libvirt.Connect) error {
				dom, err := c.LookupDomainByName(vm.UUID)
				if err != nil {
					return err
				}
				defer dom.Free()
				return dom.Destroy()
			})
			return gone()
		})
		if !ok {
			return kvmagent.Errorf("failed to stop vm, timeout after %d secs", int(vm.timing.DestroyWait/time.Second))
		}
	}
	host.removeChannelSockets(vm.Domain)
	return vm.undefine(ctx, host)
}

func (vm *Vm) undefine(ctx context.Context, host *LiveHost) error {
	persistent := false
	err := vm.conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.LookupDomainByName(vm.UUID)
		if err != nil {
			return err
		}
		defer dom.Free()
		persistent, err = dom.IsPersistent()
		return err
	})
	if virtconn.IsNoDomain(err) || (err == nil && !persistent) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up vm[uuid:%s] before undefine: %w", vm.UUID, err)
	}
	vanished := func() bool { return virtconn.IsNoDomain(vm.Refresh()) }
	ok := waitFor(ctx, vm.timing.UndefineWait, time.Second, func() bool {
		uerr := vm.conn.Do(func(c *libvirt.Connect) error {
			dom, err := c.LookupDomainByName(vm.UUID)
			if err != nil {
				return err
			}
			defer dom.Free()
			flags := libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | libvirt.DOMAIN_UNDEFINE_NVRAM
			if err := dom.UndefineFlags(flags); err != nil {
				return dom.Undefine()
			}
			return nil
		})
		if uerr != nil && !virtconn.IsNoDomain(uerr) && host != nil {
			host.killQemu(vm.UUID)
		}
		return vanished()
	})
	if !ok {
		return kvmagent.Errorf("failed to stop vm, timeout after %d secs", int(vm.timing.UndefineWait/time.Second))
	}
	return nil
}

// removeChannelSockets is the seed's `rm -f` of unix channel sockets: like
// rm -f, a socket that is already gone or cannot be removed is no failure.
// Unlike it, only a socket inside the confined directories goes: the path
// comes from the command (or whoever defined the domain), and the agent is
// root. A refused path is logged and the stop goes on.
func (h *LiveHost) removeChannelSockets(d *libvirtxml.Domain) {
	for _, path := range channelSocketPaths(d) {
		resolved, err := h.Guard().Remove(path)
		if err == nil {
			var st os.FileInfo
			if st, err = os.Lstat(resolved); err != nil {
				continue // already gone
			}
			if st.Mode().Type() != fs.ModeSocket {
				err = fmt.Errorf("channel socket path %s is a %s, not a socket", path, fileKind(st.Mode()))
			}
		}
		if err != nil {
			h.log().Warn("not removing channel socket", "err", err)
			continue
		}
		_ = os.Remove(resolved)
	}
}

// checkChannelSockets refuses a domain whose channel socket path holds
// something else than a socket: QEMU unlinks whatever is there to bind.
func checkChannelSockets(d *libvirtxml.Domain) error {
	for _, path := range channelSocketPaths(d) {
		st, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if st.Mode().Type() != fs.ModeSocket {
			return fmt.Errorf("addons.channel.socketPath: %s is a %s, not a socket: QEMU would replace it", path, fileKind(st.Mode()))
		}
	}
	return nil
}

func channelSocketPaths(d *libvirtxml.Domain) []string {
	if d == nil || d.Devices == nil {
		return nil
	}
	var paths []string
	for _, ch := range d.Devices.Channels {
		if ch.Source != nil && ch.Source.UNIX != nil && ch.Source.UNIX.Path != "" {
			paths = append(paths, ch.Source.UNIX.Path)
		}
	}
	return paths
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m.Type() == fs.ModeSymlink:
		return "symbolic link"
	case m.IsRegular():
		return "regular file"
	default:
		return "special file"
	}
}

// graphicsPasswords are the console passwords a domain's XML carries.
func graphicsPasswords(d *libvirtxml.Domain) []string {
	if d == nil || d.Devices == nil {
		return nil
	}
	var pw []string
	for _, g := range d.Devices.Graphics {
		switch {
		case g.VNC != nil:
			pw = append(pw, g.VNC.Passwd)
		case g.Spice != nil:
			pw = append(pw, g.Spice.Passwd)
		}
	}
	return pw
}

// Destroy is Vm.destroy(): a hard stop that also undefines.
func (vm *Vm) Destroy(ctx context.Context, host *LiveHost) error { return vm.Stop(ctx, false, host) }

// Pause is Vm.pause().
func (vm *Vm) Pause(ctx context.Context) error {
	if err := vm.domainCall(func(d *libvirt.Domain) error { return d.Suspend() }); err != nil {
		return err
	}
	if !waitFor(ctx, vm.timing.PauseWait, vm.timing.PollInterval, vm.stateIs(VMStatePaused)) {
		return kvmagent.Errorf("failed to suspend vm ,timeout after %d secs", int(vm.timing.PauseWait/time.Second))
	}
	return nil
}

// Resume is Vm.resume().
func (vm *Vm) Resume(ctx context.Context) error {
	if err := vm.domainCall(func(d *libvirt.Domain) error { return d.Resume() }); err != nil {
		return err
	}
	if !waitFor(ctx, vm.timing.ResumeWait, vm.timing.PollInterval, vm.stateIs(VMStateRunning)) {
		return kvmagent.Errorf("failed to resume vm ,timeout after %d secs", int(vm.timing.ResumeWait/time.Second))
	}
	return nil
}

func (vm *Vm) domainCall(fn func(*libvirt.Domain) error) error {
	return vm.conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.LookupDomainByName(vm.UUID)
		if err != nil {
			return err
		}
		defer dom.Free()
		return fn(dom)
	})
}

// GetTargetDisk is Vm._get_target_disk: the disk of a deviceId in the live
// XML, looked for as vd<letter>, then sd<letter>, then hd<letter>. It
// returns the disk and the target name it was found under.
func (vm *Vm) GetTargetDisk(deviceID int) (*libvirtxml.DomainDisk, string, error) {
	letter, err := deviceLetter(deviceID, "deviceId")
	if err != nil {
		return nil, "", err
	}
	var disks []libvirtxml.DomainDisk
	if vm.Domain != nil && vm.Domain.Devices != nil {
		disks = vm.Domain.Devices.Disks
	}
	for _, prefix := range []string{"vd", "sd", "hd"} {
		name := prefix + letter
		for i := range disks {
			if disks[i].Target != nil && disks[i].Target.Dev == name {
				return &disks[i], name, nil
			}
		}
	}
	return nil, "", kvmagent.Errorf("unable to find volume[device ID:%d] on vm[uuid:%s]", deviceID, vm.UUID)
}

// ResizeVolume is Vm.resize_volume: QEMU's block_resize on the disk's drive.
// The command goes through libvirt's monitor passthrough (HMP) on the
// agent's connection instead of `virsh qemu-monitor-command --hmp`; as
// there, only a failure to deliver it counts, not the monitor's answer.
func (vm *Vm) ResizeVolume(deviceID int, size int64) error {
	disk, _, err := vm.GetTargetDisk(deviceID)
	if err != nil {
		return err
	}
	if disk.Alias == nil || disk.Alias.Name == "" {
		return fmt.Errorf("volume[device ID:%d] of vm[uuid:%s] has no alias in the live xml", deviceID, vm.UUID)
	}
	err = vm.domainCall(func(d *libvirt.Domain) error {
		_, err := d.QemuMonitorCommand(blockResizeCommand(disk.Alias.Name, size), libvirt.DOMAIN_QEMU_MONITOR_COMMAND_HMP)
		return err
	})
	if err != nil {
		// Verbatim, with the seed's swapped arguments: the id shows the vm
		// uuid and the uuid the device id.
		return kvmagent.Errorf("unable to resize volume[id:%s] of vm[uuid:%d] because %s", vm.UUID, deviceID, libvirtMessage(err))
	}
	return nil
}

// blockResizeCommand is the HMP command resize_volume sends.
func blockResizeCommand(alias string, size int64) string {
	return fmt.Sprintf("block_resize drive-%s %dB", alias, size)
}

// isLibvirtError reports whether err came from libvirt (the seed's
// `except libvirt.libvirtError`).
func isLibvirtError(err error) bool {
	var lerr libvirt.Error
	return errors.As(err, &lerr)
}

// libvirtMessage is str(libvirtError).
func libvirtMessage(err error) string {
	var lerr libvirt.Error
	if errors.As(err, &lerr) {
		return lerr.Message
	}
	return err.Error()
}

func containsAll(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// reconcileWait bounds how long Reconcile waits for an abandoned call to
// return before it looks at the domain.
const reconcileWait = 2 * time.Minute

// Reconcile makes a start's answer match the domain's real state when the
// start's define+create call was abandoned (err holds a
// *virtconn.TimeoutError): the call goes on inside libvirt and may still
// create the VM. Reconcile waits for that call to return (at most two
// minutes), then looks the domain up: when it runs, the start succeeded and
// Reconcile returns nil; otherwise it destroys and undefines the domain
// (the start removed any earlier one, so a domain with this uuid is the
// start's own) and returns err, saying so. Any other err is returned as is.
// Every start path calls it on the define+create's error, after the call
// and before its undo (FinishStart), so the undo also runs after the call
// it undoes. Vm.Start calls it itself.
func (vm *Vm) Reconcile(ctx context.Context, err error) error {
	var terr *virtconn.TimeoutError
	if err == nil || !errors.As(err, &terr) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reconcileWait)
	defer cancel()
	returned := terr.Returned == nil
	if !returned {
		select {
		case <-terr.Returned:
			returned = true
		case <-ctx.Done():
		}
	}
	type found struct {
		exists, running bool
	}
	f, lerr := virtconn.Call(vm.conn, func(c *libvirt.Connect) (found, error) {
		dom, err := c.LookupDomainByName(vm.UUID)
		if virtconn.IsNoDomain(err) {
			return found{}, nil
		}
		if err != nil {
			return found{}, err
		}
		defer dom.Free()
		st, _, err := dom.GetState()
		if err != nil {
			return found{exists: true}, err
		}
		return found{exists: true, running: st == libvirt.DOMAIN_RUNNING}, nil
	})
	switch {
	case lerr != nil:
		return fmt.Errorf("%w; cannot tell whether vm[uuid:%s] runs after the abandoned call: %v", err, vm.UUID, lerr)
	case f.running && returned:
		vm.log().InfoContext(ctx, "start: the abandoned define+create went on and the vm runs; answering success", "vm", vm.UUID)
		return nil
	case f.running:
		// Still inside the call, yet running: the VM is up.
		vm.log().WarnContext(ctx, "start: the abandoned define+create has not returned but the vm runs; answering success", "vm", vm.UUID)
		return nil
	case !f.exists:
		return fmt.Errorf("%w; vm[uuid:%s] is not defined after the abandoned call", err, vm.UUID)
	}
	if derr := vm.conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.LookupDomainByName(vm.UUID)
		if err != nil {
			return err
		}
		defer dom.Free()
		if active, aerr := dom.IsActive(); aerr == nil && active {
			if err := dom.Destroy(); err != nil {
				return err
			}
		}
		if err := dom.UndefineFlags(libvirt.DOMAIN_UNDEFINE_NVRAM); err != nil {
			if uerr := dom.Undefine(); uerr != nil {
				return uerr
			}
		}
		return nil
	}); derr != nil && !virtconn.IsNoDomain(derr) {
		return fmt.Errorf("%w; vm[uuid:%s] was left defined and not running after the abandoned call, and removing it failed: %v", err, vm.UUID, derr)
	}
	if !returned {
		return fmt.Errorf("%w; vm[uuid:%s] was not running and is destroyed and undefined, although libvirt's call had not returned within %s", err, vm.UUID, reconcileWait)
	}
	return fmt.Errorf("%w; vm[uuid:%s] was not running after the abandoned call returned: destroyed and undefined", err, vm.UUID)
}
