package disk

import "github.com/strataagent/strata/upstream/linux"

// Size wraps upstream.
func Size(p string) int64 {
	n := linux.DiskSize(p) // want "behavior-change: the body of upstream/linux.DiskSize, which the overlay calls, changed"
	return n + linux.Capacity(p) + linux.DiskSize(p+"x")
}

// Sizers hands upstream functions on as values: their bodies run for the
// overlay as a call's would.
var Sizers = []func(string) int64{
	linux.Rounded, // want "behavior-change: the body of upstream/linux.Rounded, which the overlay calls, changed"
	linux.Capacity,
}
