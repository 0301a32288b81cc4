package ex

import "github.com/strataagent/strata/upstream/vmplugin"

// Plugin embeds the stock plugin.
type Plugin struct {
	*vmplugin.Plugin
}

// StartVm overrides the stock one.
func (p *Plugin) StartVm(uuid string) error { return nil } // want "override-drift: the body of upstream/vmplugin.\\(\\*Plugin\\).StartVm"

// StopVm overrides too; its original changed only in layout.
func (p *Plugin) StopVm(uuid string) error { return nil }
