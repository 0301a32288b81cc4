package hostplugin

import "github.com/strataagent/strata/upstream/kvmagent"

const (
	ConnectPath = "/host/connect"
	PingPath    = "/host/ping"
	FactPath    = "/host/fact"
	EchoPath    = "/host/echo"
)

// Start registers the host routes: connect is async now, in the host
// lane. StartFacts and its route are gone.
func Start(s *kvmagent.Server) {
	s.RegisterAsyncURI(ConnectPath, nil, kvmagent.InLane("host"))
	s.RegisterAsyncURI(PingPath, nil)
	s.RegisterSyncURI(EchoPath, nil)
}

// StartMore registers one more route, now async, and counts differently.
func StartMore(s *kvmagent.Server) int {
	s.RegisterAsyncURI("/host/more", nil)
	return 2
}
