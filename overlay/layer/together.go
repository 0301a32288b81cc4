package layer

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/strataagent/strata/overlay/excmd"
)

// decodeTogether decodes all of cmd's blocks (keys sorted, each with an
// owner) with one json.Unmarshal into a struct of one field per block,
// then checks each block's keys in key order. A rich command brings a
// block per layer, and a decoder call per block cost more than the blocks.
// False when the blocks do not decode together without an error: the
// caller then decodes block by block, which names the first bad value as
// always (the key check first, in key order).
func decodeTogether(cmd *excmd.StartVmExCmd, keys []string, owners map[string]ExBlock) (bool, error) {
	if len(keys) < 2 || !together {
		return false, nil // nothing to share
	}
	types := make([]reflect.Type, len(keys))
	for i, k := range keys {
		if !plainKey(k) {
			return false, nil
		}
		types[i] = owners[k].blockType()
	}
	st := structFor(keys, types)
	buf := bufs.Get().(*[]byte)
	defer bufs.Put(buf)
	b := append((*buf)[:0], '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), k...), `":`...)
		b = append(b, cmd.Raw[k]...)
	}
	b = append(b, '}')
	*buf = b
	v := reflect.New(st)
	if err := json.Unmarshal(b, v.Interface()); err != nil {
		return false, nil
	}
	for i, k := range keys {
		f := v.Elem().Field(i)
		if f.IsNil() {
			continue // null
		}
		if err := checkKeys(cmd.Raw[k], types[i], "ex."+k); err != nil {
			return true, err
		}
		cmd.Blocks[k] = f.Interface()
	}
	return true, nil
}

// plainKey: a key that needs no escaping in JSON or a struct tag.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := range len(k) {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

var bufs = sync.Pool{New: func() any { return new([]byte) }}

// structFor is the struct with one *T field per block, tagged with its key,
// made once per key set and types (a few thousand at most are kept).
func structFor(keys []string, types []reflect.Type) reflect.Type {
	var kb [256]byte
	id := kb[:0]
	for _, k := range keys {
		id = append(append(id, k...), ',')
	}
	if m := structs.Load(); m != nil {
		if e, ok := (*m)[string(id)]; ok && slices.Equal(e.types, types) {
			return e.t
		}
	}
	fields := make([]reflect.StructField, len(keys))
	for i, k := range keys {
		fields[i] = reflect.StructField{
			Name: "B" + strconv.Itoa(i),
			Type: reflect.PointerTo(types[i]),
			Tag:  reflect.StructTag(`json:"` + k + `"`),
		}
	}
	e := &blockStruct{t: reflect.StructOf(fields), types: types}
	structsMu.Lock()
	defer structsMu.Unlock()
	old := structs.Load()
	if old != nil && len(*old) >= maxStructs {
		return e.t
	}
	next := map[string]*blockStruct{}
	if old != nil {
		maps.Copy(next, *old)
	}
	next[string(id)] = e
	structs.Store(&next)
	return e.t
}

type blockStruct struct {
	t     reflect.Type
	types []reflect.Type
}

const maxStructs = 4096

var (
	structs   atomic.Pointer[map[string]*blockStruct] // joined keys -> struct, replaced whole
	structsMu sync.Mutex
)

// together: tests turn the shared decode off to compare with block by block.
var together = true
