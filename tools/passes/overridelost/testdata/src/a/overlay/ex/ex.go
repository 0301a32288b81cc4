package ex

import "github.com/strataagent/strata/upstream/vmplugin"

// Plugin embeds the stock plugin and overrides some of its methods.
type Plugin struct {
	*vmplugin.Plugin
}

// StartVm adds the overlay's steps.
func (p *Plugin) StartVm(uuid string) error { // want "override-lost: .*overrides upstream/vmplugin.\\(\\*Plugin\\).StartVm, which the new release removed"
	return p.Plugin.StartVm(uuid) // want "api-break: upstream/vmplugin.\\(\\*Plugin\\).StartVm"
}

// StopVm forces.
func (p *Plugin) StopVm(uuid string) error { // want "override-lost: .*type changed"
	return nil
}
