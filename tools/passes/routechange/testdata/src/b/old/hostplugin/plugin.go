package hostplugin

import "github.com/strataagent/strata/upstream/kvmagent"

const (
	ConnectPath = "/host/connect"
	PingPath    = "/host/ping"
	FactPath    = "/host/fact"
	EchoPath    = "/host/echo"
)

// Start registers the host routes.
func Start(s *kvmagent.Server) {
	s.RegisterSyncURI(ConnectPath, nil)
	s.RegisterAsyncURI(PingPath, nil)
	s.RegisterSyncURI(EchoPath, nil)
}

// StartMore registers one more route and counts.
func StartMore(s *kvmagent.Server) int {
	s.RegisterSyncURI("/host/more", nil)
	return 1
}

// StartFacts registers the fact route.
func StartFacts(s *kvmagent.Server) {
	s.RegisterAsyncURI(FactPath, nil)
}
