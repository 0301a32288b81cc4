package vmplugin

// Plugin is the stock VM plugin.
type Plugin struct{ Name string }

// StartVM starts a VM (renamed from StartVm).
func (p *Plugin) StartVM(uuid string) error { return nil }

// StopVm stops a VM; it now takes a force flag.
func (p *Plugin) StopVm(uuid string, force bool) error { return nil }
