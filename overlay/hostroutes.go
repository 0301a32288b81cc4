package overlay

import (
	"github.com/strataagent/strata/upstream/hostplugin"
	"github.com/strataagent/strata/upstream/kvmagent"
)

// RegisterHostEx serves the stock host_plugin's URIs again under /ex/, by
// path and with the stock sync/async choice and lane (the release-merge tool
// checks each still exists upstream, and was not switched); capacity is the
// overlay's cached one.
func RegisterHostEx(s *kvmagent.Server, h *hostplugin.HostPlugin, capacity *CapacityEx) {
	s.RegisterSyncURI(ExPrefix+hostplugin.ConnectPath, h.Connect)
	s.RegisterSyncURI(ExPrefix+hostplugin.EchoPath, h.Echo)
	s.RegisterAsyncURI(ExPrefix+hostplugin.PingPath, h.Ping, kvmagent.InLane(kvmagent.LaneHost))
	s.RegisterAsyncURI(ExPrefix+hostplugin.CapacityPath, capacity.Capacity, kvmagent.InLane(kvmagent.LaneHost))
	s.RegisterAsyncURI(ExPrefix+hostplugin.FactPath, h.Fact, kvmagent.InLane(kvmagent.LaneHost))
}
