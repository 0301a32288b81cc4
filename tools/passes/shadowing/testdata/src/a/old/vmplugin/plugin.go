package vmplugin

// VmPlugin is the stock plugin.
type VmPlugin struct {
	Name string
}

// Start registers the routes.
func (p *VmPlugin) Start() error { return nil }

// Stop stops the plugin.
func (p *VmPlugin) Stop() error { return nil }

// Starter is what the agent starts extended plugins through.
type Starter interface {
	StartEx() error
}

// Monitor watches domains.
type Monitor struct{}

// Watch watches.
func (m *Monitor) Watch() error { return nil }
