// Package agent is the stock kvmagent's composition: its settings (a table
// that is part of each release), configuration loading (defaults, YAML,
// STRATA_ environment, flags), the logger, and the wiring of the libvirt
// connection, vm_plugin, host_plugin and the HTTP server. cmd/kvmagent is
// Main; a downstream agent composes the same parts: it adds its settings
// to the same flag set and koanf (AddFlags, LoadConfig with extra tables),
// builds the stock agent with New, and serves its own server next to it
// over the same Conn and VmPlugin.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/strataagent/strata/upstream/hostplugin"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// Options are what a caller may supply instead of the agent building it.
type Options struct {
	Logger *slog.Logger   // nil: cfg.Logger(os.Stderr)
	Conn   *virtconn.Conn // nil: a new one from the libvirt settings, closed by Shutdown
	// TuneServer, if set, may change the server's configuration after the
	// settings filled it (tests shorten the callback backoff).
	TuneServer func(*kvmagent.ServerConfig)
}

// Agent is the stock agent: one libvirt connection, vm_plugin and
// host_plugin on one kvmagent.Server.
type Agent struct {
	cfg      Config
	log      *slog.Logger
	conn     *virtconn.Conn
	ownConn  bool
	srv      *kvmagent.Server
	vm       *vmplugin.VmPlugin
	host     *hostplugin.HostPlugin
	plugins  *kvmagent.Agent
	mu       sync.Mutex
	listener net.Listener
	stopped  bool
}

// New wires the agent and registers every URI; nothing listens and
// libvirt is not contacted until Serve.
func New(cfg Config, opt Options) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	log := opt.Logger
	if log == nil {
		log = cfg.Logger(os.Stderr)
	}
	// A request's lines carry its taskuuid, path and vm (kvmagent.WithTaskLog).
	log = slog.New(kvmagent.LogHandler(log.Handler()))
	a := &Agent{cfg: cfg, log: log, conn: opt.Conn}
	if a.conn == nil {
		a.conn, a.ownConn = NewConn(cfg, log), true
	}
	sc := cfg.ServerConfig(log)
	if opt.TuneServer != nil {
		opt.TuneServer(&sc)
	}
	a.srv = kvmagent.NewServer(sc)
	a.vm = vmplugin.New(cfg.VmPluginConfig(), a.conn, log)
	a.host = hostplugin.New(cfg.HostPluginConfig(), a.conn, log)
	a.plugins = kvmagent.NewAgent(a.srv, a.vm, a.host)
	if err := a.plugins.Start(); err != nil {
		if a.ownConn {
			a.conn.Close()
		}
		return nil, err
	}
	return a, nil
}

// NewConn is the libvirt connection the settings describe.
func NewConn(cfg Config, log *slog.Logger) *virtconn.Conn {
	ka := cfg.LibvirtKeepAliveInterval
	if ka == 0 {
		ka = -1 // the setting's 0 means off; virtconn's 0 means default
	}
	return virtconn.NewWithOptions(cfg.LibvirtURI, virtconn.Options{
		Logger: log, CallTimeout: cfg.LibvirtCallTimeout,
		KeepAliveInterval: ka, KeepAliveCount: uint(max(cfg.LibvirtKeepAliveCount, 1)),
	})
}

// ServerConfig is the kvmagent.Server configuration the settings describe;
// a downstream's second server starts from it.
func (c Config) ServerConfig(log *slog.Logger) kvmagent.ServerConfig {
	return kvmagent.ServerConfig{
		Addr:            c.Listen,
		CallbackTimeout: c.CallbackTimeout,
		CallbackRetries: c.CallbackRetries,
		BodyLimit:       c.BodyLimit,
		TaskRetention:   c.TaskRetention,
		Workers:         c.Workers,
		Logger:          log,
		// Zero values take kvmagent's defaults.
		Lanes:               map[string]kvmagent.LaneConfig{kvmagent.LaneHost: {Workers: c.HostWorkers}},
		QueueLimit:          c.QueueLimit,
		TaskLimit:           c.TaskLimit,
		CallbackDeadline:    c.CallbackDeadline,
		CallbackConcurrency: c.CallbackConc,
		ReadTimeout:         c.ReadTimeout,
		IdleTimeout:         c.IdleTimeout,
	}
}

// VmPluginConfig is vm_plugin's part of the settings.
func (c Config) VmPluginConfig() vmplugin.PluginConfig {
	return vmplugin.PluginConfig{
		Build:    vmplugin.Config{DomainType: c.DomainType, Arch: c.Arch},
		Emulator: c.Emulator,
		Timing:   vmplugin.Timing{GracefulStopWait: c.GracefulStopWait},
		// An empty setting allows nothing; the plugin reads nil as its default.
		ConfinedDirs: c.ManagedDirs,
	}
}

// HostPluginConfig is host_plugin's part of the settings.
func (c Config) HostPluginConfig() hostplugin.Config {
	return hostplugin.Config{QemuPath: c.Emulator, Arch: c.Arch}
}

// Config is the configuration the agent was built with.
func (a *Agent) Config() Config { return a.cfg }

// Logger is the agent's logger.
func (a *Agent) Logger() *slog.Logger { return a.log }

// Server is the stock server (:7070).
func (a *Agent) Server() *kvmagent.Server { return a.srv }

// Conn is the one libvirt connection; a second server shares it.
func (a *Agent) Conn() *virtconn.Conn { return a.conn }

// VmPlugin is the stock vm_plugin; a second server shares it, and with it
// the per-VM locks.
func (a *Agent) VmPlugin() *vmplugin.VmPlugin { return a.vm }

// HostPlugin is the stock host_plugin.
func (a *Agent) HostPlugin() *hostplugin.HostPlugin { return a.host }

// Listen binds the configured address (once) and returns it, so a caller
// configured with port 0 learns the port before Serve.
func (a *Agent) Listen() (net.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.listener == nil {
		l, err := net.Listen("tcp", a.cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
		}
		a.listener = l
	}
	return a.listener.Addr(), nil
}

// Serve listens first, then starts connecting to libvirt in the background
// (a frozen or absent libvirtd never keeps the port closed: the host calls
// report it), and serves until ctx is done or serving fails. Then it shuts
// down, waiting up to shutdown.timeout for running tasks.
func (a *Agent) Serve(ctx context.Context) error {
	if _, err := a.Listen(); err != nil {
		return err
	}
	a.conn.Connect()
	a.log.Info("kvmagent starting", "listen", a.listener.Addr().String(), "libvirt", a.cfg.LibvirtURI,
		"domain_type", a.cfg.DomainType, "arch", a.cfg.Arch)
	served := make(chan error, 1)
	go func() { served <- a.srv.Serve(a.listener) }()
	var serveErr error
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = fmt.Errorf("serve: %w", err)
		}
	case <-ctx.Done():
		a.log.Info("stopping: waiting for running tasks", "timeout", a.cfg.ShutdownTimeout)
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, a.Shutdown(sctx))
}

// Shutdown stops the server (running tasks finish and call back within
// ctx), then the plugins, then closes the libvirt connection if the agent
// opened it. It is safe to call more than once.
func (a *Agent) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return nil
	}
	a.stopped = true
	a.mu.Unlock()
	var errs []error
	if err := a.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: %w", err))
	}
	if err := a.plugins.Stop(); err != nil {
		a.log.Warn("plugin stop failed", "err", err)
	}
	if a.ownConn {
		a.conn.Close()
	}
	return errors.Join(errs...)
}
