package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"syscall"

	"github.com/strataagent/strata/upstream/hostplugin"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// serve runs the stock agent until SIGINT or SIGTERM, then shuts down
// gracefully: running tasks finish and call back first.
func serve(cfg Config, logw io.Writer) error {
	log := cfg.logger(logw)
	conn := virtconn.New(cfg.LibvirtURI, log)
	defer conn.Close()

	srv := kvmagent.NewServer(kvmagent.ServerConfig{
		Addr:            cfg.Listen,
		CallbackTimeout: cfg.CallbackTimeout,
		CallbackRetries: cfg.CallbackRetries,
		BodyLimit:       cfg.BodyLimit,
		TaskRetention:   cfg.TaskRetention,
		Workers:         cfg.Workers,
		Logger:          log,
	})
	timing := vmplugin.Timing{GracefulStopWait: cfg.GracefulStopWait}
	plugins := []kvmagent.Plugin{
		vmplugin.New(vmplugin.PluginConfig{
			Build:    vmplugin.Config{DomainType: cfg.DomainType, Arch: cfg.Arch},
			Emulator: cfg.Emulator,
			Timing:   timing,
		}, conn, log),
		hostplugin.New(hostplugin.Config{QemuPath: cfg.Emulator, Arch: cfg.Arch}, conn, log),
	}
	for _, p := range plugins {
		if err := p.Start(srv); err != nil {
			return fmt.Errorf("start plugin %T: %w", p, err)
		}
	}
	if _, err := conn.Get(); err != nil {
		// Not fatal: calls report it and the connection is retried on each.
		log.Warn("libvirt is not reachable yet", "uri", cfg.LibvirtURI, "err", err)
	}

	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	log.Info("kvmagent starting", "libvirt", cfg.LibvirtURI, "domain_type", cfg.DomainType, "arch", cfg.Arch)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("stopping: waiting for running tasks", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	for _, p := range plugins {
		if perr := p.Stop(); perr != nil {
			log.Warn("plugin stop failed", "plugin", fmt.Sprintf("%T", p), "err", perr)
		}
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
