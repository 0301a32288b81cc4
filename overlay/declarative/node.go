package declarative

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	yamlv3 "go.yaml.in/yaml/v3"
)

// maxConfigBytes bounds the config file LoadFile reads, and maxNodes the
// YAML nodes (aliases expanded) LoadNode visits under layers.declarative,
// so a config that would exhaust memory is refused before it is decoded.
const (
	maxConfigBytes = 16 << 20
	maxNodes       = 1 << 20
)

// rawScalar is a YAML scalar as written ("2.0", "0x10", "on") beside the
// value yaml.v3 resolves it to: string fields take the text, others the value.
type rawScalar struct {
	raw   string
	value any
}

var rawScalarType = reflect.TypeOf(rawScalar{})

// LoadNode loads the entries under ConfigKey from the agent's config as one
// parsed yaml.v3 document (the config package parses the file once), with
// file (path, for messages) and line in every error. Scalars keep the text
// written: `version: 2.0` is "2.0", not "2".
func LoadNode(path string, doc *yamlv3.Node) ([]Entry, error) {
	n := declarativeNode(doc)
	if n == nil {
		return nil, nil
	}
	if n.Kind != yamlv3.SequenceNode {
		return nil, annotate(&Error{Index: -1, Err: fmt.Errorf("must be a list of layers, not a YAML %s", kindName(n))}, path, doc)
	}
	if len(n.Content) > maxEntries {
		return nil, annotate(&Error{Index: -1, Err: fmt.Errorf("%d entries: at most %d", len(n.Content), maxEntries)}, path, doc)
	}
	// Count first, allocating nothing: a config of aliases that expand
	// beyond the bound (a "billion laughs") is refused before it is built.
	budget := maxNodes
	if !countNodes(n, &budget, 0) {
		return nil, annotate(&Error{Index: -1, Err: fmt.Errorf("more than %d YAML nodes once aliases are expanded: the config is too large to load", maxNodes)}, path, doc)
	}
	budget = maxNodes
	list := make([]any, len(n.Content))
	for i, item := range n.Content {
		v, err := nodeValue(item, &budget, 0)
		if err != nil {
			return nil, annotate(&Error{Index: i, Err: err}, path, doc)
		}
		list[i] = v
	}
	entries, err := loadList(list)
	if err != nil {
		return nil, annotate(err, path, doc)
	}
	return entries, nil
}

// declarativeNode finds layers.declarative (or a dotted key for it) in doc.
func declarativeNode(doc *yamlv3.Node) *yamlv3.Node {
	n := doc
	if n == nil {
		return nil
	}
	if n.Kind == yamlv3.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind != yamlv3.MappingNode {
		return nil
	}
	for c := 0; c+1 < len(n.Content); c += 2 {
		switch n.Content[c].Value {
		case ConfigKey:
			return n.Content[c+1]
		case "layers":
			m := n.Content[c+1]
			if m.Kind != yamlv3.MappingNode {
				return nil
			}
			for d := 0; d+1 < len(m.Content); d += 2 {
				if m.Content[d].Value == "declarative" {
					return m.Content[d+1]
				}
			}
		}
	}
	return nil
}

func kindName(n *yamlv3.Node) string {
	switch n.Kind {
	case yamlv3.MappingNode:
		return "mapping"
	case yamlv3.ScalarNode:
		return "scalar"
	case yamlv3.AliasNode:
		return "alias"
	}
	return "node"
}

// countNodes spends budget per node, aliases expanded; false when spent.
func countNodes(n *yamlv3.Node, budget *int, depth int) bool {
	*budget--
	if *budget < 0 || depth > maxYAMLDepth {
		return false
	}
	if n.Kind == yamlv3.AliasNode {
		return n.Alias != nil && countNodes(n.Alias, budget, depth+1)
	}
	for _, c := range n.Content {
		if !countNodes(c, budget, depth+1) {
			return false
		}
	}
	return true
}

// maxYAMLDepth bounds nesting (and alias chains) under layers.declarative.
const maxYAMLDepth = 64

var errTooLarge = errors.New("the config is too large to load (aliases expanded)")

// nodeValue converts a node to the generic form mapstructure decodes, with
// scalars as rawScalar, spending budget per node so aliases cannot blow up.
func nodeValue(n *yamlv3.Node, budget *int, depth int) (any, error) {
	*budget--
	if *budget < 0 || depth > maxYAMLDepth {
		return nil, errTooLarge
	}
	switch n.Kind {
	case yamlv3.AliasNode:
		return nodeValue(n.Alias, budget, depth+1)
	case yamlv3.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if v == nil {
			return nil, nil
		}
		return rawScalar{raw: n.Value, value: v}, nil
	case yamlv3.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := nodeValue(c, budget, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yamlv3.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for c := 0; c+1 < len(n.Content); c += 2 {
			v, err := nodeValue(n.Content[c+1], budget, depth+1)
			if err != nil {
				return nil, err
			}
			out[n.Content[c].Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// readConfig reads the config file once, bounded, and parses it.
func readConfig(path string) (*yamlv3.Node, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > maxConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxConfigBytes)
	}
	// a pipe (--config <(...)) is read up to the bound
	buf, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(buf) > maxConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxConfigBytes)
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(buf, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &doc, nil
}
