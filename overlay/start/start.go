// Package start owns the /ex/vm/start data path, from the request body to a
// running VM: decode, validate all of it (the stock command once, each
// layer's ex block by the layer that owns it) before anything is touched,
// then take the VM's lock, clear a stopped VM, build the stock domain, run
// the layers, define and start, and undo on failure. The live handler,
// render, --explain and --diff all call Run; offline only swaps the Target,
// so the golden files test the code that serves requests.
package start

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// Layers is what one start runs with: the layer order and the layers'
// configuration, taken together from one configuration snapshot (a reload
// swaps it between requests, never within one).
type Layers struct {
	Order  []layer.Layer
	Config layer.Config
	// FullDiffEvery cross-checks one live start in N with a whole-domain
	// provenance diff (Options.FullDiff); 0 never.
	FullDiffEvery uint64
}

// Target is where a start lands: the live host (overlay.VmPluginEx) or
// nowhere (Offline, for render). Its methods and its Attempt's are the
// steps of Run, in order.
type Target interface {
	// ValidateStock checks the stock command once, with the host's bounds
	// (one capabilities call on a live host). It touches nothing.
	ValidateStock(ctx context.Context, cmd *vmplugin.StartVmCmd) error
	// LayerHost is what the layers' checks and Apply ask of the machine.
	LayerHost() layer.Host
	// Lock takes the VM's lock; the start holds it to the end.
	Lock(uuid string) (unlock func())
	// Begin refuses a running VM, clears a stopped one, and opens the
	// start's undo list.
	Begin(ctx context.Context, cmd *excmd.StartVmExCmd) (Attempt, error)
}

// Attempt is one start on a Target, after Begin.
type Attempt interface {
	// Context carries the start's undo list: the build records into it.
	Context() context.Context
	// Build builds the stock domain; stockXML is its marshalled form when
	// the build made one already (else "").
	Build(ctx context.Context) (dom *libvirtxml.Domain, stockXML string, err error)
	// Launch defines and starts the final domain.
	Launch(ctx context.Context, dom *libvirtxml.Domain, xml string) error
	// Finish undoes what a failed start created and maps the failure as
	// the stock start does; it returns the error to answer (nil: success).
	Finish(err error) error
}

// Source gives the layers a request runs with (the agent's configuration
// snapshot).
type Source interface {
	Current() Layers
}

// Fixed is a Source that never changes (tests, render).
type Fixed Layers

// Current implements Source.
func (f Fixed) Current() Layers { return Layers(f) }

// Phases receives how long each phase of a start took (metrics); nil: none.
type Phases interface {
	Observe(phase string, d time.Duration)
}

// The phases Run reports to Phases, in order.
const (
	PhaseValidate = "validate"
	PhaseBuild    = "build"
	PhaseLayers   = "layers"
	PhaseDefine   = "define" // define and start, as one libvirt step here
)

// MaxVMName bounds vmName on the ex port (the management node's names are
// at most 255 characters; libvirt keeps it in <description>).
const MaxVMName = 4096

// Options are the per-call switches of Run.
type Options struct {
	// KeepStock fills Result.StockXML (render --diff).
	KeepStock bool
	// FullDiff cross-checks per-layer provenance with a whole-domain diff.
	FullDiff bool
	// Explain fills the summaries of added and removed elements in
	// Result.Changes, which Result.Explain prints (layer.Context.Explain).
	Explain bool
	Phases  Phases
}

// Error is a refusal of the request itself (it decoded, or validated,
// badly): nothing was touched.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Refused reports whether err is a refusal before anything was touched.
func Refused(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Decode reads the body and validates all of it against t and ls; it
// touches nothing. Run calls it first; a caller that needs the command
// before running (its VM uuid, to log) may call it and then RunDecoded.
func Decode(ctx context.Context, body []byte, ls Layers, t Target) (*excmd.StartVmExCmd, error) {
	cmd, err := excmd.Decode(body)
	if err != nil {
		return nil, &Error{err}
	}
	if err := Validate(ctx, cmd, ls, t); err != nil {
		return nil, err
	}
	return cmd, nil
}

// Validate checks a decoded command: the stock part (once), every ex block
// by the layer that owns it (its Block.Validate).
func Validate(ctx context.Context, cmd *excmd.StartVmExCmd, ls Layers, t Target) error {
	// Names are echoed in replies, callbacks and log lines: bounded first,
	// so no refusal below quotes an 8 MB one.
	if len(cmd.VMName) > MaxVMName {
		return &Error{fmt.Errorf("vmName: %d bytes is more than the %d a VM name may have", len(cmd.VMName), MaxVMName)}
	}
	if err := t.ValidateStock(ctx, &cmd.StartVmCmd); err != nil {
		return &Error{err}
	}
	if err := layer.DecodeEx(cmd, ls.Order, &layer.Check{Host: t.LayerHost(), Config: ls.Config}); err != nil {
		return &Error{err}
	}
	return nil
}

// Run is the ex start of body on t with the layers ls.
func Run(ctx context.Context, body []byte, ls Layers, t Target, opt Options) (layer.Result, error) {
	began := time.Now()
	cmd, err := Decode(ctx, body, ls, t)
	if err != nil {
		return layer.Result{}, err
	}
	opt.observe(PhaseValidate, began)
	return RunDecoded(ctx, cmd, ls, t, opt)
}

// RunDecoded is Run of a command Decode returned.
func RunDecoded(ctx context.Context, cmd *excmd.StartVmExCmd, ls Layers, t Target, opt Options) (res layer.Result, err error) {
	unlock := t.Lock(cmd.VMInstanceUUID)
	defer unlock()
	at, err := t.Begin(ctx, cmd)
	if err != nil {
		return res, err
	}
	launched := false
	defer func() {
		err = at.Finish(err)
		if launched && err != nil {
			err = attribute(err, res)
		}
	}()
	ctx = at.Context()

	began := time.Now()
	dom, stockXML, err := at.Build(ctx)
	if err != nil {
		return res, err
	}
	opt.observe(PhaseBuild, began)

	began = time.Now()
	lc := &layer.Context{
		Ctx: ctx, Cmd: cmd, Domain: dom, Host: t.LayerHost(), Config: ls.Config,
		StockXML: stockXML, KeepStock: opt.KeepStock, FullDiff: opt.FullDiff, Explain: opt.Explain,
	}
	res, err = layer.Run(lc, ls.Order)
	if err != nil {
		return res, fmt.Errorf("unable to start vm[uuid:%s, name:%s]: %w", cmd.VMInstanceUUID, truncate(cmd.VMName), err)
	}
	opt.observe(PhaseLayers, began)

	began = time.Now()
	launched = true
	if err := at.Launch(ctx, lc.Domain, res.FinalXML); err != nil {
		return res, err
	}
	launched = false
	opt.observe(PhaseDefine, began)
	return res, nil
}

func (o Options) observe(phase string, since time.Time) {
	if o.Phases != nil {
		o.Phases.Observe(phase, time.Since(since))
	}
}

// truncate bounds a user-supplied name echoed in an error (an 8 MB vmName
// must not make an 8 MB reply and log line).
func truncate(s string) string {
	const limit = 256
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// attribute names, in a refusal of the final domain (libvirt's define or
// start), the layers that wrote what the refusal speaks of: those whose
// recorded paths name an element or attribute, or a value, that the
// refusal's text mentions; when none does, every layer that changed the
// domain. The stock part has answered the same command before; what the
// layers wrote is what an operator must look at first.
func attribute(err error, res layer.Result) error {
	if len(res.Changes) == 0 {
		return err
	}
	text := strings.ToLower(err.Error())
	var named []string
	seen := map[string]bool{}
	for _, c := range res.Changes {
		if seen[c.Layer] || !mentions(text, c) {
			continue
		}
		seen[c.Layer] = true
		named = append(named, fmt.Sprintf("%s (%s)", c.Layer, c.Path))
	}
	if len(named) == 0 {
		return fmt.Errorf("%w (layers that changed the domain: %s)", err, strings.Join(res.Applied, ", "))
	}
	return fmt.Errorf("%w (written by layer %s)", err, strings.Join(named, ", "))
}

// mentions reports whether text speaks of what c wrote: a value it set or
// added (io "nativ"), or the last element or attribute name on its path.
func mentions(text string, c layer.Change) bool {
	if v := strings.ToLower(c.New); len(v) >= 3 && !strings.HasPrefix(v, "<") && strings.Contains(text, v) {
		return true
	}
	decl := strings.Split(c.Declared(), "/")
	name := strings.TrimPrefix(decl[len(decl)-1], "@")
	if _, local, ok := strings.Cut(name, ":"); ok {
		name = local
	}
	return len(name) >= 3 && name != "domain" && name != "devices" && strings.Contains(text, strings.ToLower(name))
}
