package ex

import "github.com/strataagent/strata/upstream/vmplugin"

// Plugin overrides StartVm.
type Plugin struct{ *vmplugin.Plugin }

// StartVm calls the stock one.
func (p *Plugin) StartVm(uuid string) error { return p.Plugin.StartVm(uuid) }
