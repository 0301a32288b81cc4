package start

import (
	"context"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// Offline is the Target of render: the build runs against Host (which
// answers from configuration alone); nothing is locked, defined or started.
type Offline struct {
	Config vmplugin.Config
	Host   vmplugin.Host // vmplugin.OfflineHost, or one with the configured emulator
	Layer  layer.Host    // answers the layers' host questions offline
}

var _ Target = Offline{}

// ValidateStock implements Target, with the offline host's bounds.
func (o Offline) ValidateStock(ctx context.Context, cmd *vmplugin.StartVmCmd) error {
	return cmd.ValidateFor(ctx, o.Config, o.Host)
}

// LayerHost implements Target.
func (o Offline) LayerHost() layer.Host { return o.Layer }

// Lock implements Target: offline there is nothing to lock.
func (Offline) Lock(string) func() { return func() {} }

// Begin implements Target: no VM to clear, nothing to undo.
func (o Offline) Begin(ctx context.Context, cmd *excmd.StartVmExCmd) (Attempt, error) {
	return &offlineAttempt{o: o, ctx: ctx, cmd: cmd}, nil
}

type offlineAttempt struct {
	o   Offline
	ctx context.Context
	cmd *excmd.StartVmExCmd
}

func (a *offlineAttempt) Context() context.Context { return a.ctx }

func (a *offlineAttempt) Build(ctx context.Context) (*libvirtxml.Domain, string, error) {
	dom, err := vmplugin.Build(ctx, &a.cmd.StartVmCmd, a.o.Config, a.o.Host)
	return dom, "", err
}

func (a *offlineAttempt) Launch(context.Context, *libvirtxml.Domain, string) error { return nil }

func (a *offlineAttempt) Finish(err error) error { return err }
