package hostex

import (
	"github.com/strataagent/strata/upstream/hostplugin"
	"github.com/strataagent/strata/upstream/kvmagent"
)

// Prefix is the overlay's own path space.
const Prefix = "/ex"

// Register serves the stock host routes again under /ex/ and calls the
// stock registration on the stock server.
func Register(stock, ex *kvmagent.Server) int {
	hostplugin.Start(stock)                                // only its route registrations changed: no behavior-change
	ex.RegisterSyncURI(Prefix+hostplugin.ConnectPath, nil) // want "route-change: route /ex/host/connect wraps stock /host/connect, which switched from sync to async upstream; the overlay registers it sync"
	ex.RegisterAsyncURI(Prefix+hostplugin.PingPath, nil)
	ex.RegisterAsyncURI(Prefix+"/host/fact", nil) // want "route-change: route /ex/host/fact wraps stock /host/fact, which is no longer registered upstream"
	ex.RegisterSyncURI(Prefix+hostplugin.EchoPath, nil)
	return hostplugin.StartMore(stock) // want "behavior-change: the body of upstream/hostplugin.StartMore"
}
