package layers

import "github.com/strataagent/strata/overlay/layer"

const diskIO = "/domain/devices/disk/driver/@io"

// DiskIO sets io on disk drivers.
var DiskIO = layer.Layer{
	Name: "disk-io",
	Writes: []string{
		diskIO, // want "xml-overlap: layer disk-io writes /domain/devices/disk/driver/@io, where the new release's stock XML differs \\(corpus arm, basic\\)"
		"/domain/devices/disk/driver/@cache",
	},
}
