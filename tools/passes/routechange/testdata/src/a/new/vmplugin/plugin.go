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
	s.RegisterSyncURI(RebootPath, nil)
	s.RegisterSyncURI(EchoPath, nil)
	s.RegisterAsyncURI("/volume/resize", nil)
	s.RegisterAsyncURI("/vm/unrelated", nil)
}
