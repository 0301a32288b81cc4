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
//
// During a libvirt outage ping fails (success false, the outage as error)
// while still echoing the uuid: the management node treats a failed ping
// as a lost host and reconnects, and its reconnect (fact, connect) keeps
// failing, naming the outage, until libvirt is back; the 2018 agent got
// the same effect by exiting. The outage is read from the connection's
// state, without a libvirt call, and a reconnect is started in the
// background so the next ping sees libvirt back.
func (p *HostPlugin) Ping(ctx context.Context, req *kvmagent.Request) (any, error) {
	rsp := &PingResponse{AgentResponse: kvmagent.NewAgentResponse(), HostUUID: p.HostUUID()}
	if p.conn != nil {
		if err := p.conn.Err(); err != nil {
			p.conn.Connect()
			rsp.Fail(err)
		}
	}
	return rsp, nil
}
