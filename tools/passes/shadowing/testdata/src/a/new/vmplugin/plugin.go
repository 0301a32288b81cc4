package vmplugin

// VmPlugin is the stock plugin.
type VmPlugin struct {
	Name string
	// Host is the host the plugin runs on (new).
	Host string
}

// Start registers the routes.
func (p *VmPlugin) Start() error { return nil }

// Stop stops the plugin.
func (p *VmPlugin) Stop() error { return nil }

// StartEx starts the extended routes (new).
func (p *VmPlugin) StartEx() error { return nil }

// Starter is what the agent starts extended plugins through.
type Starter interface {
	StartEx() error
}

// Monitor watches domains.
type Monitor struct{}

// Watch watches.
func (m *Monitor) Watch() error { return nil }

// Stop stops watching (new).
func (m *Monitor) Stop() error { return nil }
