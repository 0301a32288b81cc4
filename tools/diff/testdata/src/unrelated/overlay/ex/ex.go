package ex

import (
	"github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// Plugin overrides StartVm.
type Plugin struct{ *vmplugin.Plugin }

// StartVm adds nothing yet.
func (p *Plugin) StartVm(uuid string) error { return p.Plugin.StartVm(uuid) }

// Settings are the overlay's keys.
var Settings = []agent.Setting{{Key: "ex.listen", Flag: "ex-listen", Default: ":7071", Help: "ex port"}}

// Register serves the overlay's routes.
func Register(s *kvmagent.Server) {
	s.RegisterAsyncURI("/ex/vm/start", nil)
	s.RegisterAsyncURI("/vm/start", nil)
	_ = vmplugin.DiskSize("/x")
}
