// Package excmd holds the /ex/vm/start command: the stock StartVmCmd plus an
// ex block that drives the overlay's patch layers.
package excmd

import "github.com/strataagent/strata/upstream/vmplugin"

// StartVmExCmd is StartVmCmd plus ex. With an empty or absent ex and no
// declarative layer selecting the VM, the domain is the stock one, byte for byte.
type StartVmExCmd struct {
	vmplugin.StartVmCmd
	Ex *Ex `json:"ex,omitempty"`
}

// Ex is the ex block. Each field belongs to one Go layer; an unknown key is
// an error naming it (decoding is strict inside ex).
type Ex struct {
	Tags map[string]string `json:"tags,omitempty"` // free-form, written to the domain metadata; declarative selectors match them
	// The Go layers' blocks are added by overlay/layers' owners here.
}
