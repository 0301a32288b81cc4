package vmplugin

// Plugin is the stock VM plugin.
type Plugin struct{ Name string }

// StartVm starts a VM.
func (p *Plugin) StartVm(uuid string) error { return nil }

// StopVm stops a VM.
func (p *Plugin) StopVm(uuid string) error { return nil }

// Reboot reboots a VM.
func (p *Plugin) Reboot(uuid string) error { return p.StartVm(uuid) }
