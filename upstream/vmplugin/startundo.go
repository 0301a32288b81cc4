package vmplugin

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/shell"
)

// undoTimeout bounds the whole undo of a failed start (an iscsiadm logout
// may hang on a dead portal).
const undoTimeout = 2 * time.Minute

// StartUndo is what one start created on the host: CHAP and Ceph secrets
// it defined, directories it made, iSCSI sessions it opened. The seed left
// them behind when the start failed; a CHAP secret left so made every
// later start of its target fail (libvirt allows one secret per target).
type StartUndo struct {
	mu    sync.Mutex
	steps []undoStep
}

type undoStep struct {
	what string
	run  func(context.Context) error
}

// add records one undo step; on a nil StartUndo (a host outside a start:
// render, tests) it does nothing.
func (u *StartUndo) add(what string, run func(context.Context) error) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.steps = append(u.steps, undoStep{what, run})
}

func (u *StartUndo) empty() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.steps) == 0
}

// run undoes the steps, last first, and logs each outcome; it goes on past
// a failure, so one stuck step leaves no other behind.
func (u *StartUndo) run(ctx context.Context, log *slog.Logger) {
	u.mu.Lock()
	steps := u.steps
	u.steps = nil
	u.mu.Unlock()
	for i := len(steps) - 1; i >= 0; i-- {
		if err := steps[i].run(ctx); err != nil {
			log.WarnContext(ctx, "failed start: could not undo", "what", steps[i].what, "err", err)
		} else {
			log.InfoContext(ctx, "failed start: undone", "what", steps[i].what)
		}
	}
}

type startUndoKey struct{}

// BeginStart returns ctx carrying a fresh undo list for one start: the
// build that runs with it (FromStartVmCmd) records into the list, and
// FinishStart undoes it if the start failed. Exported so that a start path
// built on this plugin (an overlay's) leaves no more behind than this one.
func BeginStart(ctx context.Context) (context.Context, *StartUndo) {
	u := &StartUndo{}
	return context.WithValue(ctx, startUndoKey{}, u), u
}

// hostFor is the Host a build in ctx uses: within a start, a copy of the
// LiveHost that records into the start's undo list; else p.Host.
func (p *VmPlugin) hostFor(ctx context.Context) Host {
	u, _ := ctx.Value(startUndoKey{}).(*StartUndo)
	h, ok := p.Host.(*LiveHost)
	if u == nil || !ok || h == nil {
		return p.Host
	}
	scoped := *h
	scoped.undo = u
	return &scoped
}

// FinishStart undoes what a failed start created on the host, unless the
// VM's domain exists after all: then it may still use them (the seed
// answers success when libvirt complains but the VM runs, and a start that
// timed out waiting may yet run), and stop is what cleans up after it.
func (p *VmPlugin) FinishStart(ctx context.Context, uuid string, u *StartUndo, err error) {
	if err == nil || u.empty() {
		return
	}
	// The request's context may be what failed the start; the undo still runs.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	vm, lerr := p.GetVmByUUIDNoRetry(ctx, uuid, false)
	switch {
	case lerr != nil:
		p.Log.WarnContext(ctx, "failed start: keeping what it created, cannot tell whether vm exists", "vm", uuid, "err", lerr)
	case vm != nil:
		p.Log.InfoContext(ctx, "failed start: vm exists, keeping what it created", "vm", uuid, "state", vm.State)
	default:
		u.run(ctx, p.Log.With("vm", uuid))
	}
}

// maskError returns err with secrets masked in its text. An error that
// shows none is returned as is. A libvirt error inside stays reachable with
// errors.As, its message masked (the start path maps libvirt errors); the
// rest of the chain, which holds the secret, is dropped.
func maskError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	masked := shell.Mask(text, secrets...)
	if masked == text {
		return err
	}
	var lerr libvirt.Error
	if !errors.As(err, &lerr) {
		return errors.New(masked)
	}
	lerr.Message = shell.Mask(lerr.Message, secrets...)
	return &maskedError{text: masked, lerr: lerr}
}

type maskedError struct {
	text string
	lerr libvirt.Error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.lerr }
