package hostplugin

import (
	"context"

	"github.com/strataagent/strata/upstream/kvmagent"
)

// Echo answers the management node's liveness probe with an empty body.
func (p *HostPlugin) Echo(ctx context.Context, req *kvmagent.Request) (any, error) {
	p.log.Debug("get echoed")
	return nil, nil
}

// Ping answers the host uuid of the last connect; before it the field is
// absent, which tells the management node to reconnect.
func (p *HostPlugin) Ping(ctx context.Context, req *kvmagent.Request) (any, error) {
	return &PingResponse{AgentResponse: kvmagent.NewAgentResponse(), HostUUID: p.HostUUID()}, nil
}
