// Package routechange reports route-change (error): a stock route the
// overlay serves again was removed, moved to another package or switched
// between sync and async, or upstream now registers a path the overlay
// registers itself. An overlay route under its own path that serves a stock
// route again (/ex/host/ping for /host/ping: an upstream path constant in
// its path expression, else the stock path it ends with) is judged against
// that stock route: removed, switched or moved upstream is a change to the
// wrapper too.
package routechange
