package layer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/strataagent/strata/overlay/excmd"
)

// ExBlock is a layer's own block of the command's ex object: the layer
// declares its type and checks, the contract sees only the key and raw JSON
// (like a Caddy module's config). Block[T] is the one implementation.
type ExBlock interface {
	// Key is the block's key in ex ("hugepages").
	Key() string
	blockType() reflect.Type
	decode(raw json.RawMessage) (any, error)
	validate(v any, c *Check) error
}

// Block is an ex block of type T, decoded strictly (every key known, named
// by its path on error) and checked by Validate before anything is touched.
type Block[T any] struct {
	Name string
	// Validate checks the decoded block against the command, the layers'
	// configuration and (reading only) the host. It runs before the VM's
	// lock is taken; errors name the field ("ex.hugepages.size: ...").
	Validate func(*T, *Check) error
}

// Key implements ExBlock.
func (b *Block[T]) Key() string { return b.Name }

func (b *Block[T]) blockType() reflect.Type { return reflect.TypeFor[T]() }

// Of is the command's decoded block, nil when absent.
func (b *Block[T]) Of(cmd *excmd.StartVmExCmd) *T {
	if cmd == nil {
		return nil
	}
	v, _ := cmd.Blocks[b.Name].(*T)
	return v
}

// In is the block of the command a layer runs for.
func (b *Block[T]) In(c *Context) *T {
	if c == nil {
		return nil
	}
	return b.Of(c.Cmd)
}

func (b *Block[T]) decode(raw json.RawMessage) (any, error) {
	field := "ex." + b.Name
	v := new(T)
	err := json.Unmarshal(raw, v)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) { // excmd.Decode checked it; a caller that did not gets the decoder's word
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	// A key the type lacks (exactly: json folds case) is named before a
	// value that does not fit: the decode is strict only with this check.
	if err := checkKeys(raw, reflect.TypeFor[T](), field); err != nil {
		return nil, err
	}
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			at := field
			if te.Field != "" {
				at += "." + te.Field
			}
			return nil, fmt.Errorf("%s: a JSON %s does not fit %s", at, te.Value, describe(te.Type))
		}
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// describe names a Go type as a JSON user reads it, with its range.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Uint, reflect.Uint64:
		return "a whole number from 0 to 18446744073709551615"
	case reflect.Uint32:
		return "a whole number from 0 to 4294967295"
	case reflect.Uint16:
		return "a whole number from 0 to 65535"
	case reflect.Uint8:
		return "a whole number from 0 to 255"
	case reflect.Int, reflect.Int64:
		return "a whole number from -9223372036854775808 to 9223372036854775807"
	case reflect.Int32:
		return "a whole number from -2147483648 to 2147483647"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

func (b *Block[T]) validate(v any, c *Check) error {
	if b.Validate == nil {
		return nil
	}
	t, ok := v.(*T)
	if !ok {
		return fmt.Errorf("ex.%s: decoded as %T, not %T", b.Name, v, t)
	}
	return b.Validate(t, c)
}

// DecodeEx decodes every block of cmd.Raw with the layer that owns its key
// and runs each block's Validate, in key order, before anything is
// touched. A key no layer owns is an error naming it.
func DecodeEx(cmd *excmd.StartVmExCmd, layers []Layer, c *Check) error {
	if cmd == nil {
		return errors.New("ex: no command")
	}
	owners := map[string]ExBlock{}
	for _, l := range layers {
		if l.Ex != nil {
			owners[l.Ex.Key()] = l.Ex
		}
	}
	keys := make([]string, 0, len(cmd.Raw))
	for k := range cmd.Raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cmd.Blocks = make(map[string]any, len(keys))
	for _, k := range keys {
		if _, ok := owners[k]; !ok {
			return fmt.Errorf("ex.%s: unknown field (no layer reads it)", k)
		}
	}
	done, err := decodeTogether(cmd, keys, owners)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if done {
			break
		}
		owner := owners[k]
		raw := bytes.TrimSpace(cmd.Raw[k])
		if bytes.Equal(raw, []byte("null")) {
			continue
		}
		v, err := owner.decode(raw)
		if err != nil {
			return err
		}
		cmd.Blocks[k] = v
	}
	if c == nil {
		c = &Check{}
	}
	c.Cmd = cmd
	for _, k := range keys {
		if v, ok := cmd.Blocks[k]; ok {
			if err := owners[k].validate(v, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// Check is what a block's Validate sees: the command (its stock fields and
// the other blocks), the layers' configuration and the host, to read only.
type Check struct {
	Cmd    *excmd.StartVmExCmd
	Host   Host // nil: checks that need the host are left to Apply
	Config Config
}
