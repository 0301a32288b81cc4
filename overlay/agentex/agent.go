package agentex

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/strataagent/strata/linux2"
	"github.com/strataagent/strata/overlay"
	"github.com/strataagent/strata/overlay/authn"
	"github.com/strataagent/strata/overlay/config"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/logattr"
	"github.com/strataagent/strata/overlay/metrics"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

// Options are what a caller may supply instead of the agent building it.
type Options struct {
	agent.Options
	// LayerHost answers the layers' host questions; nil: linux2.NewHost().
	LayerHost layer.Host
}

// Agent is the overlay agent: the stock agent's connection and plugins,
// VmPluginEx over the stock vm_plugin, and two servers.
type Agent struct {
	stock *agent.Agent
	cfg   agent.Config
	ex    Config
	log   *slog.Logger
	vm    *overlay.VmPluginEx
	snap  atomic.Pointer[config.Snapshot]
	// loadAgain reads the configuration again for a reload.
	loadAgain func() (*config.Snapshot, error)
	reloadMu  sync.Mutex // one reload at a time

	stockSrv, exSrv *kvmagent.Server
	mu              sync.Mutex
	stockL, exL     net.Listener

	metrics *metrics.Metrics // ops.go
	adminL  net.Listener     // nil: admin listener off
	auth    map[string]*authn.Auth
}

// New wires the agent; nothing listens until Listen or Serve.
func New(cfg agent.Config, ex Config, opt Options) (*Agent, error) {
	snap, err := config.Build(Spec(), cfg, ex.overlay())
	if err != nil {
		return nil, fmt.Errorf("layers: %w", err)
	}
	return newAgent(snap, ex, opt)
}

// NewFromSnapshot wires the agent from a loaded configuration.
func NewFromSnapshot(snap *config.Snapshot, opt Options) (*Agent, error) {
	return newAgent(snap, configOf(snap), opt)
}

func newAgent(snap *config.Snapshot, ex Config, opt Options) (*Agent, error) {
	cfg := snap.Stock
	m := metrics.New()
	if opt.Logger == nil {
		opt.Logger = cfg.Logger(os.Stderr)
	}
	opt.Logger = slog.New(m.Tap(logattr.Handler(opt.Logger.Handler())))
	logOverlaps(opt.Logger, snap.Overlaps)
	auth, err := loadAuth(ex)
	if err != nil {
		return nil, err
	}
	// The stock agent's own server is never served: its VM routes are
	// bound to the inner plugin. It gives the connection and plugins.
	st, err := agent.New(cfg, opt.Options)
	if err != nil {
		return nil, err
	}
	host := opt.LayerHost
	if host == nil {
		host = linux2.NewHost()
	}
	a := &Agent{stock: st, cfg: cfg, ex: ex, log: st.Logger(), metrics: m, auth: auth}
	a.snap.Store(snap)
	a.loadAgain = func() (*config.Snapshot, error) {
		if a.ex.File == "" {
			return nil, errors.New("no configuration file")
		}
		flags := pflag.NewFlagSet("reload", pflag.ContinueOnError)
		if err := agent.AddFlags(flags, Settings()); err != nil {
			return nil, err
		}
		if err := flags.Set("config", a.ex.File); err != nil {
			return nil, err
		}
		return Load(flags, nil)
	}
	m.WatchConn(st.Conn())
	m.SetGeneration(snap.Generation)
	a.vm = overlay.NewVmPluginEx(st.VmPlugin(), snapshotSource{&a.snap}, host)
	a.vm.Phases = m
	a.vm.Fixes = layers.VendorFixes
	// One task table for both ports: a taskuuid runs once across them.
	tasks := kvmagent.NewTaskTable()
	tune := func(port, addr string) kvmagent.ServerConfig {
		sc := cfg.ServerConfig(a.log)
		if opt.TuneServer != nil {
			opt.TuneServer(&sc)
		}
		sc.Addr = addr
		sc.Logger = sc.Logger.With(metrics.PortAttr, port)
		sc.Tasks = tasks
		return sc
	}
	// The stock port's routes: served on :7070, and the table :7071
	// mirrors under /ex/ (built, never served, when :7070 is off).
	stockRoutes := kvmagent.NewServer(tune(PortStock, cfg.Listen))
	if ex.StockEnabled {
		a.stockSrv = stockRoutes
		a.instrument(a.stockSrv, PortStock) // gin middleware: before the routes
	}
	if err := st.HostPlugin().Start(stockRoutes); err != nil {
		return nil, err
	}
	if err := a.vm.Start(stockRoutes); err != nil {
		return nil, err
	}
	if ex.StockEnabled {
		a.learnLanes(a.stockSrv, PortStock)
	}
	if ex.ExEnabled {
		a.exSrv = kvmagent.NewServer(tune(PortEx, ex.ExListen))
		a.instrument(a.exSrv, PortEx)
		if err := a.vm.StartEx(a.exSrv); err != nil {
			return nil, err
		}
		lh, _ := host.(*linux2.Host)
		if lh == nil {
			lh = linux2.NewHost()
		}
		capacity := &overlay.CapacityEx{Facts: linux2.NewCapacityCache(lh, linux2.DefaultCapacityTTL, nil), Conn: st.Conn(), Log: a.log}
		overlay.RegisterHostEx(a.exSrv, st.HostPlugin(), capacity)
		if _, err := overlay.MirrorEx(a.exSrv, stockRoutes); err != nil {
			return nil, err
		}
		a.learnLanes(a.exSrv, PortEx)
	}
	return a, nil
}

// VmPlugin is the one VmPluginEx both servers use.
func (a *Agent) VmPlugin() *overlay.VmPluginEx { return a.vm }

// Conn is the one libvirt connection.
func (a *Agent) Conn() *virtconn.Conn { return a.stock.Conn() }

// StockServer is the :7070 server (nil when stock.enabled is false).
func (a *Agent) StockServer() *kvmagent.Server { return a.stockSrv }

// ExServer is the :7071 server (nil when ex.enabled is false).
func (a *Agent) ExServer() *kvmagent.Server { return a.exSrv }

// Config is the configuration in force.
func (a *Agent) Config() *config.Snapshot { return a.snap.Load() }

// ReloadFrom sets how Reload reads the configuration again (Main: the same
// flags and environment as at start-up).
func (a *Agent) ReloadFrom(flags *pflag.FlagSet, environ []string) {
	a.loadAgain = func() (*config.Snapshot, error) { return Load(flags, environ) }
}

// snapshotSource gives each request the layers of the configuration in force.
type snapshotSource struct {
	p *atomic.Pointer[config.Snapshot]
}

func (s snapshotSource) Current() start.Layers {
	snap := s.p.Load()
	return start.Layers{Order: snap.Order, Config: snap.Layer, FullDiffEvery: snap.FullDiffEvery}
}

// Listen binds the enabled ports (once); a nil address is a port switched off.
func (a *Agent) Listen() (stock, ex net.Addr, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stockSrv != nil && a.stockL == nil {
		if a.stockL, err = net.Listen("tcp", a.cfg.Listen); err != nil {
			return nil, nil, fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
		}
		a.stockL = a.auth[PortStock].Listener(a.stockL)
	}
	if a.exSrv != nil && a.exL == nil {
		if a.exL, err = net.Listen("tcp", a.ex.ExListen); err != nil {
			return nil, nil, fmt.Errorf("listen on %s (ex.listen): %w", a.ex.ExListen, err)
		}
		a.exL = a.auth[PortEx].Listener(a.exL)
	}
	if err := a.listenAdmin(); err != nil {
		return nil, nil, err
	}
	if a.stockL != nil {
		stock = a.stockL.Addr()
	}
	if a.exL != nil {
		ex = a.exL.Addr()
	}
	return stock, ex, nil
}

// Reload reads the configuration again and validates it exactly as
// start-up does; only then does it apply what can change at run time (the
// layers, their order and every layers.* setting) in one swap. Settings
// that need a restart are named, not applied. On error the running
// configuration stays and the error says why. Requests in flight keep the
// snapshot they took.
func (a *Agent) Reload() error {
	_, err := a.ReloadChanges()
	return err
}

// ReloadChanges is Reload, returning what it changed.
func (a *Agent) ReloadChanges() (config.Changes, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	next, err := a.loadAgain()
	if err != nil {
		return config.Changes{}, fmt.Errorf("reload: %w", err)
	}
	cur := a.snap.Load()
	ch := next.Since(cur)
	next.Generation = cur.Generation + 1
	logOverlaps(a.log, next.Overlaps)
	a.snap.Store(next)
	a.log.Info("configuration reloaded", "file", a.ex.File, "generation", next.Generation,
		"applied", strings.Join(ch.Applied, ","), "layers_added", strings.Join(ch.Added, ","),
		"layers_removed", strings.Join(ch.Removed, ","), "layers_changed", strings.Join(ch.Changed, ","),
		"declarative", len(next.Declarative))
	if len(ch.NeedRestart) > 0 {
		a.log.Warn("reload: these settings changed but take effect only after a restart", "settings", strings.Join(ch.NeedRestart, ","))
	}
	return ch, nil
}

// HandleSIGHUP reloads on every SIGHUP until ctx is done, logging a
// refused configuration.
func (a *Agent) HandleSIGHUP(ctx context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if err := a.reload(); err != nil {
					a.log.Error("SIGHUP: configuration refused, keeping the running layers and settings", "err", err)
				}
			}
		}
	}()
}

// Serve listens, connects to libvirt in the background, and serves both
// ports until ctx is done or one fails; then it shuts both down.
func (a *Agent) Serve(ctx context.Context) error {
	if _, _, err := a.Listen(); err != nil {
		return err
	}
	a.Conn().Connect()
	a.logStart()
	stopAdmin := a.serveAdmin()
	defer stopAdmin()
	served := make(chan error, 2)
	n := 0
	for _, s := range []struct {
		srv *kvmagent.Server
		l   net.Listener
	}{{a.stockSrv, a.stockL}, {a.exSrv, a.exL}} {
		if s.srv == nil {
			continue
		}
		n++
		go func() { served <- s.srv.Serve(s.l) }()
	}
	var serveErr error
	select {
	case err := <-served:
		n--
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = fmt.Errorf("serve: %w", err)
		}
	case <-ctx.Done():
		a.log.Info("stopping: waiting for running tasks", "timeout", a.cfg.ShutdownTimeout)
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	var wg sync.WaitGroup
	var emu sync.Mutex
	for _, s := range []*kvmagent.Server{a.stockSrv, a.exSrv} {
		if s == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Shutdown(sctx); err != nil {
				emu.Lock()
				errs = append(errs, fmt.Errorf("shutdown: %w", err))
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	for ; n > 0; n-- {
		<-served
	}
	a.log.Info("stopping: stock and ex ports closed, tasks finished or abandoned")
	errs = append(errs, serveErr, a.stock.Shutdown(sctx))
	a.log.Info("stopping: plugins stopped, libvirt connection closed")
	return errors.Join(errs...)
}

func logOverlaps(log *slog.Logger, overlaps []layer.Overlap) {
	for _, c := range overlaps {
		log.Warn("layers: declared writes overlap; a request where both write one path fails or warns by layers.conflict_policy", "overlap", c.Error())
	}
}
