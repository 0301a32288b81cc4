package layers

import "github.com/strataagent/strata/overlay/layer"

// QemuArgs appends QEMU arguments: the new release's stock XML now carries
// a qemu:commandline (default xmlns), which the path must match.
var QemuArgs = layer.Layer{
	Name:   "qemu-args",
	Writes: []string{"/domain/qemu:commandline"}, // want "xml-overlap: layer qemu-args writes /domain/qemu:commandline, where the new release's stock XML differs \\(corpus basic\\)"
}

// Tags writes strata tags, which both releases carry alike (one in prefix
// form, one in default-xmlns form): no finding.
var Tags = layer.Layer{Name: "tags", Writes: []string{"/domain/metadata/strata:tags"}}
