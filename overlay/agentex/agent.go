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
	"sync"
	"syscall"

	"github.com/strataagent/strata/linux2"
	"github.com/strataagent/strata/overlay"
	"github.com/strataagent/strata/overlay/authn"
	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/logattr"
	"github.com/strataagent/strata/overlay/metrics"
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
	stock  *agent.Agent
	cfg    agent.Config
	ex     Config
	log    *slog.Logger
	vm     *overlay.VmPluginEx
	layers *declarative.Set

	stockSrv, exSrv *kvmagent.Server
	mu              sync.Mutex
	stockL, exL     net.Listener

	metrics *metrics.Metrics // ops.go
	adminL  net.Listener     // nil: admin listener off
	auth    map[string]*authn.Auth
}

// New wires the agent; nothing listens until Listen or Serve.
func New(cfg agent.Config, ex Config, opt Options) (*Agent, error) {
	set, err := declarative.NewSet(layers.Order, ex.Declarative)
	if err != nil {
		return nil, fmt.Errorf("layers: %w", err)
	}
	m := metrics.New()
	if opt.Logger == nil {
		opt.Logger = cfg.Logger(os.Stderr)
	}
	opt.Logger = slog.New(m.Tap(logattr.Handler(opt.Logger.Handler())))
	if _, overlaps, err := ValidateLayers(set.Current().Entries, ex.Layer.ConflictPolicy); err != nil {
		return nil, err
	} else if opt.Logger != nil {
		logOverlaps(opt.Logger, overlaps)
	}
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
	a := &Agent{stock: st, cfg: cfg, ex: ex, log: st.Logger(), layers: set, metrics: m, auth: auth}
	m.WatchConn(st.Conn())
	m.SetGeneration(set.Current().Generation)
	a.vm = overlay.NewVmPluginEx(st.VmPlugin(), set, host, ex.Layer)
	tune := func(port, addr string) kvmagent.ServerConfig {
		sc := cfg.ServerConfig(a.log)
		if opt.TuneServer != nil {
			opt.TuneServer(&sc)
		}
		sc.Addr = addr
		sc.Logger = sc.Logger.With(metrics.PortAttr, port)
		return sc
	}
	if ex.StockEnabled {
		a.stockSrv = kvmagent.NewServer(tune(PortStock, cfg.Listen))
		a.instrument(a.stockSrv, PortStock)
		if err := st.HostPlugin().Start(a.stockSrv); err != nil {
			return nil, err
		}
		if err := a.vm.Start(a.stockSrv); err != nil {
			return nil, err
		}
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

// Layers is the current layer order.
func (a *Agent) Layers() *declarative.Snapshot { return a.layers.Current() }

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

// Reload re-reads the declarative layers from the configuration file and
// swaps them in only if the whole set validates; else the old ones stay
// and the error says why. Requests in flight keep the order they took.
func (a *Agent) Reload() error {
	if a.ex.File == "" {
		return errors.New("reload: no configuration file")
	}
	entries, err := declarative.LoadFile(a.ex.File)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	_, overlaps, err := ValidateLayers(entries, a.ex.Layer.ConflictPolicy)
	if err != nil {
		return fmt.Errorf("reload: %w", declarative.Annotate(err, a.ex.File))
	}
	logOverlaps(a.log, overlaps)
	if err := a.layers.Reload(entries); err != nil {
		return fmt.Errorf("reload: %w", declarative.Annotate(err, a.ex.File))
	}
	a.log.Info("layers reloaded", "file", a.ex.File, "generation", a.layers.Current().Generation, "declarative", len(entries))
	return nil
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
					a.log.Error("SIGHUP: configuration refused, keeping the current layers", "err", err)
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

func logOverlaps(log *slog.Logger, overlaps []layer.Conflict) {
	for _, c := range overlaps {
		log.Warn("layers: declared writes overlap; a request where both write one path fails or warns by layers.conflict_policy", "overlap", c.Error())
	}
}
