package layers

import "github.com/strataagent/strata/overlay/layer"

// Machine declares all of disk but was recorded renaming the IDE cdrom
// only (testdata/q35.explain.txt): the new release's io="native" on vda is
// no overlap.
var Machine = layer.Layer{Name: "machine", Writes: []string{"/domain/devices/disk", "/domain/devices/controller"}}

// DiskIO was recorded setting io on vda, where the new release now writes
// io itself.
var DiskIO = layer.Layer{
	Name:   "disk-io",
	Writes: []string{"/domain/devices/disk/driver/@io"}, // want "xml-overlap: layer disk-io writes /domain/devices/disk/driver/@io, where the new release's stock XML differs at the paths it was recorded writing \\(/domain/devices/disk\\[target=vda\\]/driver/@io: corpus basic\\)"
}

// Features is in no explain golden: its declared path is compared.
var Features = layer.Layer{
	Name:   "features",
	Writes: []string{"/domain/features/vmport"}, // want "xml-overlap: layer features writes /domain/features/vmport, where the new release's stock XML differs \\(corpus basic\\)"
}

// Hugepages was recorded adding the whole <memoryBacking>: its declared
// part is compared inside it.
var Hugepages = layer.Layer{
	Name:   "hugepages",
	Writes: []string{"/domain/memoryBacking/hugepages"}, // want "xml-overlap: layer hugepages writes /domain/memoryBacking/hugepages, where the new release's stock XML differs at the paths it was recorded writing \\(/domain/memoryBacking/hugepages: corpus basic\\)"
}
