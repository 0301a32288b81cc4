package ex

import "github.com/strataagent/strata/upstream/vmplugin"

// Ex embeds the stock plugin.
type Ex struct {
	*vmplugin.VmPlugin
	Host string // want "shadowing: upstream/vmplugin.VmPlugin.Host, new in this release, is shadowed by overlay/ex.Ex.Host"
}

// Start is an override the old release already had: not a new shadow.
func (e *Ex) Start() error { return e.VmPlugin.Start() }

// StartEx is the overlay's own extended start.
func (e *Ex) StartEx() error { return nil } // want "shadowing: upstream/vmplugin.\\(\\*VmPlugin\\).StartEx, new in this release, is shadowed by overlay/ex.\\(\\*Ex\\).StartEx.*through upstream/vmplugin.Starter reach upstream's"

// Watcher embeds two upstream types; Stop was promoted from VmPlugin.
type Watcher struct {
	*vmplugin.VmPlugin // want "shadowing: Watcher.Stop, promoted from upstream/vmplugin.\\(\\*VmPlugin\\).Stop, is now ambiguous"
	*vmplugin.Monitor
}
