package provenance

import (
	"maps"
	"reflect"
	"sync"
	"sync/atomic"
)

// typeCache holds one value per type (a type's info, its copy or compare
// plan), read without a lock on every walk and built under one: values of
// recursive types point at each other, so a build makes all it reaches and
// publishes them together. The map is immutable, replaced whole on a
// build: types are few and built once, and a sync.Map's nodes were a large
// part of the memory the provenance keeps, which every GC marks.
type typeCache[V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[reflect.Type]V]
}

// load is t's value, if built.
func (c *typeCache[V]) load(t reflect.Type) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[t]
		return v, ok
	}
	var zero V
	return zero, false
}

// get is t's value, built with build (which adds to building every value
// it makes, and consults load and building before making one) when absent.
func (c *typeCache[V]) get(t reflect.Type, build func(reflect.Type, map[reflect.Type]V) V) V {
	if v, ok := c.load(t); ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	building := map[reflect.Type]V{}
	v := build(t, building)
	if len(building) > 0 {
		next := make(map[reflect.Type]V, len(building))
		if m := c.m.Load(); m != nil {
			maps.Copy(next, *m)
		}
		maps.Copy(next, building)
		c.m.Store(&next)
	}
	return v
}
