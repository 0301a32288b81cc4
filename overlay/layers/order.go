// Package layers holds the overlay's Go patch layers, one file each, and
// their order. Each file declares its layer's own ex block (its type, how
// it is checked before anything is touched) and exports one layer.Layer
// value; Order is the chain. A new Go layer is one new file plus one line
// in Order.
//
// Each layer here records its writes as it makes them (Records: true): it
// replaces what it edits (a new pointer, a new slice, never a change
// through a pointer the old domain shares) and reports the old values with
// c.Changed, in document order, so the chain takes no snapshot of its part.
// The golden corpus and the fuzzer run with the full diff, which must show
// exactly what each layer reported.
package layers

import (
	"errors"
	"slices"

	"github.com/strataagent/strata/overlay/layer"
)

// VendorFixes correct the stock build where the vendor's release is wrong
// on a real host. They run first, on both ports (strata-agent's :7070 start
// runs them alone), so every later layer sees the corrected stock domain.
var VendorFixes = []layer.Layer{
	SpicevmcWithoutSpice,
}

// Order is the chain order of the Go layers, like CoreDNS's plugin.cfg:
// the one place that says which layer runs when: the vendor fixes, then
// the overlay's own layers. It matters where layers
// build on each other: machine moves IDE disks to SATA before disk-tuning
// picks disks by target dev, and before watchdog checks for q35 (itco);
// tags and qemu-args touch nothing the others read. Declarative layers from
// the config take their places before or after these names.
var Order = append(slices.Clip(VendorFixes),
	Machine,
	Hugepages,
	Pinning,
	NicMultiqueue,
	DiskTuning,
	Rng,
	Watchdog,
	Tags,
	QemuArgs,
)

var errNoHost = errors.New("no host to ask (layer.Context.Host is nil)")

// maxEcho bounds a user-supplied value quoted back in an error.
const maxEcho = 64

// truncate shortens a value quoted in an error: an 8 MB name must not make
// an 8 MB reply.
func truncate(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return s[:maxEcho] + "…"
}
