package kvmagent

import (
	"errors"
	"fmt"
	"sync"
)

// Agent is kvmagent.py's plugin loop: it starts plugins on a server in the
// given order and stops them in reverse.
type Agent struct {
	srv     *Server
	plugins []Plugin

	mu      sync.Mutex
	started []Plugin
}

// NewAgent binds plugins to a server; nothing starts until Start.
func NewAgent(srv *Server, plugins ...Plugin) *Agent {
	return &Agent{srv: srv, plugins: plugins}
}

// Server returns the server the plugins register on.
func (a *Agent) Server() *Server { return a.srv }

// Start starts every plugin in order. If one fails, those already started
// are stopped again and the error names the failing plugin.
func (a *Agent) Start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.started) > 0 {
		return errors.New("kvmagent: agent already started")
	}
	for _, p := range a.plugins {
		if err := p.Start(a.srv); err != nil {
			startErr := fmt.Errorf("kvmagent: start plugin %T: %w", p, err)
			return errors.Join(startErr, a.stopLocked())
		}
		a.started = append(a.started, p)
	}
	return nil
}

// Stop stops the started plugins in reverse order; every plugin is stopped
// even when an earlier one fails, and the errors are joined.
func (a *Agent) Stop() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopLocked()
}

func (a *Agent) stopLocked() error {
	var errs []error
	for i := len(a.started) - 1; i >= 0; i-- {
		p := a.started[i]
		if err := p.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("kvmagent: stop plugin %T: %w", p, err))
		}
	}
	a.started = nil
	return errors.Join(errs...)
}
