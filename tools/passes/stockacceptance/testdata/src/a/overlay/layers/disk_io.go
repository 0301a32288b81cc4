package layers

import "github.com/strataagent/strata/overlay/layer"

// DiskIO sets io on disk drivers: the refused case must not show as a
// difference at the paths it writes.
var DiskIO = layer.Layer{
	Name:   "disk-io",
	Writes: []string{"/domain/devices/disk/driver/@io", "/domain/devices/disk"},
}
