package vmplugin

import "github.com/strataagent/strata/upstream/kvmagent"

const (
	StartPath  = "/vm/start"
	RebootPath = "/vm/reboot"
	EchoPath   = "/vm/echo"
)

// Register adds the routes.
func Register(s *kvmagent.Server) {
	s.RegisterAsyncURI(StartPath, nil)
	s.RegisterAsyncURI(RebootPath, nil)
	s.RegisterSyncURI(EchoPath, nil)
	s.RegisterSyncURI("/vm/gone", nil)
}
