// Package routechange reports route-change (error): a stock route the
// overlay serves again was removed, moved to another package or switched
// between sync and async, or upstream now registers a path the overlay
// registers itself.
package routechange
