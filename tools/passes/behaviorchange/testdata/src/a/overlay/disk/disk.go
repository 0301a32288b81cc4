package disk

import "github.com/strataagent/strata/upstream/linux"

// Size wraps upstream.
func Size(p string) int64 {
	n := linux.DiskSize(p) // want "behavior-change: the body of upstream/linux.DiskSize, which the overlay calls, changed"
	return n + linux.Capacity(p) + linux.DiskSize(p+"x")
}
