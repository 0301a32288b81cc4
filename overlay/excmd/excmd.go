// Package excmd holds the /ex/vm/start command: the stock StartVmCmd plus an
// ex block whose keys belong to the overlay's Go layers. The command knows
// no layer's type: each layer decodes its own block (layer.DecodeEx), as a
// Caddy module owns its config and the core sees only raw JSON.
package excmd

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/strataagent/strata/upstream/vmplugin"
)

// Bounds on the ex block as it arrives, before any layer reads it: a
// request under the 16 MiB body limit cannot make the decoding large.
const (
	// MaxExKeys bounds the keys of the ex object (one per Go layer).
	MaxExKeys = 64
	// MaxExBytes bounds the raw ex object.
	MaxExBytes = 256 << 10
)

// StartVmExCmd is StartVmCmd plus ex. With an empty or absent ex and no
// declarative layer selecting the VM, the domain is the stock one, byte for byte.
type StartVmExCmd struct {
	vmplugin.StartVmCmd
	// Raw is the ex object as it arrived, by key ("hugepages": {...}); nil
	// when ex is absent or null.
	Raw map[string]json.RawMessage `json:"-"`
	// Blocks holds each block decoded by the layer that owns its key
	// (layer.DecodeEx): a layer reads its own with its layer.Block.
	Blocks map[string]any `json:"-"`
}

// TagsKey is the ex key of the tags block, which declarative selectors read
// besides the tags layer (select: {tag: key=value}).
const TagsKey = "tags"

// Tags is the decoded ex.tags block (nil when absent or not yet decoded).
func (c *StartVmExCmd) Tags() map[string]string {
	if c == nil {
		return nil
	}
	if t, ok := c.Blocks[TagsKey].(*map[string]string); ok && t != nil {
		return *t
	}
	return nil
}

// wire is the command as it arrives: the stock part decodes as the stock
// agent decodes it (unknown keys ignored), ex is kept raw.
type wire struct {
	vmplugin.StartVmCmd
	Ex json.RawMessage `json:"ex"`
}

// Decode reads a StartVmExCmd: the stock fields as the stock agent reads
// them (unknown keys ignored), ex kept raw per key for its layers.
func Decode(body []byte) (*StartVmExCmd, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode start command: %w", err)
	}
	cmd := &StartVmExCmd{StartVmCmd: w.StartVmCmd}
	raw := bytes.TrimSpace(w.Ex)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return cmd, nil
	}
	if len(raw) > MaxExBytes {
		return nil, fmt.Errorf("ex: %d bytes is more than the %d an ex block may have", len(raw), MaxExBytes)
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("ex: must be a JSON object of layer blocks")
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("ex: %w", err)
	}
	if len(m) > MaxExKeys {
		return nil, fmt.Errorf("ex: %d keys is more than the %d an ex block may have", len(m), MaxExKeys)
	}
	cmd.Raw = m
	return cmd, nil
}
