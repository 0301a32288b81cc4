package exapi

import (
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/vmplugin"
)

const resizePath = "/volume/resize"

// Register serves the overlay's routes on its own server.
func Register(s *kvmagent.Server) {
	s.RegisterAsyncURI("/ex/vm/start", nil)
	s.RegisterAsyncURI(vmplugin.StartPath, nil)
	s.RegisterAsyncURI(vmplugin.RebootPath, nil) // want "route-change: route /vm/reboot switched from async to sync"
	s.RegisterSyncURI("/vm/gone", nil)           // want "route-change: route /vm/gone, which the overlay serves again, is no longer registered"
	s.RegisterAsyncURI(resizePath, nil)          // want "route-change: upstream now registers /volume/resize"
}
