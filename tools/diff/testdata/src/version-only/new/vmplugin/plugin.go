package vmplugin

import "github.com/strataagent/strata/upstream/kvmagent"

// Plugin is the stock plugin.
type Plugin struct{}

// StartVm starts a VM.
func (p *Plugin) StartVm(uuid string) error { return nil }

// Register adds the routes.
func Register(s *kvmagent.Server) {
	s.RegisterAsyncURI("/vm/start", nil)
}

// DiskSize is called by the overlay.
func DiskSize(path string) int64 { return 1 }

// Unused is called by nobody downstream.
func Unused() int { return 1 }
