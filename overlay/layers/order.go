// Package layers holds the overlay's Go patch layers, one file each, and
// their order. Each file exports one layer.Layer value driven by one block
// of the /ex/vm/start command's ex object (excmd.Ex); Order is the chain.
package layers

import (
	"errors"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
)

// Order is the chain order of the Go layers, like CoreDNS's plugin.cfg:
// the one place that says which layer runs when. It matters where layers
// build on each other: machine moves IDE disks to SATA before disk-tuning
// picks disks by target dev, and before watchdog checks for q35 (itco);
// tags and qemu-args touch nothing the others read. Declarative layers from
// the config take their places before or after these names.
var Order = []layer.Layer{
	Machine,
	Hugepages,
	Pinning,
	NicMultiqueue,
	DiskTuning,
	Rng,
	Watchdog,
	Tags,
	QemuArgs,
}

// ex is the command's ex block, nil when absent.
func ex(c *layer.Context) *excmd.Ex {
	if c == nil || c.Cmd == nil {
		return nil
	}
	return c.Cmd.Ex
}

var errNoHost = errors.New("no host to ask (layer.Context.Host is nil)")
