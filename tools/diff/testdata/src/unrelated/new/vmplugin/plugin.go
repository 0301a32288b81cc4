package vmplugin

import "github.com/strataagent/strata/upstream/kvmagent"

// Plugin is the stock plugin.
type Plugin struct{}

// StartVm starts a VM (comment reworded only).
func (p *Plugin) StartVm(uuid string) error {
	return nil
}

// Register adds the routes.
func Register(s *kvmagent.Server) {
	s.RegisterAsyncURI("/vm/start", nil)
	s.RegisterAsyncURI("/volume/resize", nil)
}

// DiskSize is called by the overlay; layout changed only.
func DiskSize(path string) int64 {
	// one
	return 1
}

// Unused is called by nobody downstream.
func Unused() int { return 2 }

// NewHelper is new API.
func NewHelper() string { return "new" }
