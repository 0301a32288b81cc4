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

// Reboot overrides the stock one and is a stamped copy of it: when the
// original changes, copy-drift says so (with refresh), not override-drift too.
//
//strata:copy upstream/vmplugin.(*Plugin).Reboot h1:7IntDXgn/5xVwDVRwoJ69XdE8YwaUousVSXnBxMUqEQ=
func (p *Plugin) Reboot(uuid string) error { return p.StartVm(uuid) } // want "copy-drift: copy of upstream/vmplugin.\\(\\*Plugin\\).Reboot drifted"
