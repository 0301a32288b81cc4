package overlay

import (
	"context"

	"github.com/strataagent/strata/overlay/buildinfo"
	"github.com/strataagent/strata/upstream/hostplugin"
	"github.com/strataagent/strata/upstream/kvmagent"
)

// RegisterHostEx registers the overlay's own host handlers under /ex/: the
// cached capacity and the fact reply with strata's version. The other stock
// host URIs are mirrored (MirrorEx).
func RegisterHostEx(s *kvmagent.Server, h *hostplugin.HostPlugin, capacity *CapacityEx) {
	s.RegisterAsyncURI(ExPrefix+hostplugin.CapacityPath, capacity.Capacity, kvmagent.InLane(kvmagent.LaneHost))
	s.RegisterAsyncURI(ExPrefix+hostplugin.FactPath, factEx(h.Fact), kvmagent.InLane(kvmagent.LaneHost))
}

// FactExResponse is the stock fact reply plus strata's version under
// "strata" (only on /ex/: the stock reply, which the management node
// parses, stays as it is).
type FactExResponse struct {
	*hostplugin.FactResponse
	Strata buildinfo.Info `json:"strata"`
}

// factEx decorates the stock fact handler with the version.
func factEx(fact kvmagent.Handler) kvmagent.Handler {
	return func(ctx context.Context, req *kvmagent.Request) (any, error) {
		rsp, err := fact(ctx, req)
		if fr, ok := rsp.(*hostplugin.FactResponse); ok && fr != nil {
			return &FactExResponse{FactResponse: fr, Strata: buildinfo.Read("strata-agent")}, err
		}
		return rsp, err
	}
}
