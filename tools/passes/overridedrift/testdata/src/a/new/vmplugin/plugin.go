package vmplugin

// Plugin is the stock VM plugin.
type Plugin struct{ Name string }

// StartVm starts a VM.
func (p *Plugin) StartVm(uuid string) error {
	if uuid == "" {
		return nil
	}
	return nil
}

// StopVm stops a VM (only this comment and layout changed).
func (p *Plugin) StopVm(uuid string) error {
	return nil
}

// Reboot reboots a VM: stop, then start.
func (p *Plugin) Reboot(uuid string) error {
	if err := p.StopVm(uuid); err != nil {
		return err
	}
	return p.StartVm(uuid)
}
