package layers

import "github.com/strataagent/strata/overlay/layer"

// Features adds hypervisor features; upstream now emits <vmport>, so the
// layer would add a duplicate.
var Features = layer.Layer{
	Name:   "features",
	Writes: []string{"/domain/features/vmport"}, // want "xml-overlap: layer features writes /domain/features/vmport"
}

// Loader sets the UEFI loader, which the release does not touch.
var Loader = layer.Layer{Name: "uefi", Writes: []string{"/domain/os/loader", "/domain/os/nvram/@template"}}
