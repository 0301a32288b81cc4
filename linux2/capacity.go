package linux2

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Capacity is the host half of host_plugin.capacity: what upstream/linux's
// Root reports (CPUNum, CPUSpeed, CPUSockets, TotalMemory). The VMs' usage,
// which needs libvirt, stays with the host plugin.
type Capacity struct {
	CPUNum      int   // processors in /proc/cpuinfo
	CPUSpeed    int   // MHz
	CPUSockets  int   // distinct physical ids, at least 1
	TotalMemory int64 // bytes
}

// Capacity reads the capacity through upstream/linux, uncached.
func (h *Host) Capacity(ctx context.Context) (Capacity, error) {
	if err := ctx.Err(); err != nil {
		return Capacity{}, fmt.Errorf("host capacity: %w", err)
	}
	up := h.Upstream()
	var c Capacity
	var err error
	if c.CPUNum, err = up.CPUNum(); err != nil {
		return Capacity{}, fmt.Errorf("host capacity: %w", err)
	}
	if c.CPUSpeed, err = up.CPUSpeed(); err != nil {
		return Capacity{}, fmt.Errorf("host capacity: %w", err)
	}
	if c.CPUSockets, err = up.CPUSockets(); err != nil {
		return Capacity{}, fmt.Errorf("host capacity: %w", err)
	}
	if c.TotalMemory, err = up.TotalMemory(); err != nil {
		return Capacity{}, fmt.Errorf("host capacity: %w", err)
	}
	return c, nil
}

// DefaultCapacityTTL is how long a CapacityCache answers from memory. The
// figures change only on CPU or memory hotplug; a few seconds spares
// /proc/cpuinfo (hundreds of lines per CPU) from every start request.
const DefaultCapacityTTL = 5 * time.Second

// CapacityCache replaces the per-call reads of upstream's capacity helpers
// with one read per TTL. Concurrent callers on a stale or empty cache share
// one read (single flight); a failed read is returned to the callers that
// waited for it and not cached. Safe for concurrent use; the zero value is
// not: use NewCapacityCache.
type CapacityCache struct {
	ttl  time.Duration
	now  func() time.Time
	load func(context.Context) (Capacity, error)

	mu       sync.Mutex
	val      Capacity
	at       time.Time
	valid    bool
	inflight *capacityCall
}

type capacityCall struct {
	done chan struct{}
	val  Capacity
	err  error
}

// NewCapacityCache caches h.Capacity for ttl (DefaultCapacityTTL when <= 0).
// now is the clock; nil is time.Now (tests pass a fake one).
func NewCapacityCache(h *Host, ttl time.Duration, now func() time.Time) *CapacityCache {
	return newCapacityCache(h.Capacity, ttl, now)
}

func newCapacityCache(load func(context.Context) (Capacity, error), ttl time.Duration, now func() time.Time) *CapacityCache {
	if ttl <= 0 {
		ttl = DefaultCapacityTTL
	}
	if now == nil {
		now = time.Now
	}
	return &CapacityCache{ttl: ttl, now: now, load: load}
}

// Get returns the cached capacity while it is younger than the TTL, else
// reads it once for every concurrent caller. A caller whose ctx ends while
// waiting returns ctx's error; the read goes on for the others.
func (c *CapacityCache) Get(ctx context.Context) (Capacity, error) {
	c.mu.Lock()
	if c.valid && c.now().Sub(c.at) < c.ttl {
		v := c.val
		c.mu.Unlock()
		return v, nil
	}
	call := c.inflight
	if call == nil {
		call = &capacityCall{done: make(chan struct{})}
		c.inflight = call
		// Detached from ctx: one caller giving up must not fail the read
		// the others wait for.
		go c.fill(context.WithoutCancel(ctx), call)
	}
	c.mu.Unlock()

	select {
	case <-call.done:
		return call.val, call.err
	case <-ctx.Done():
		return Capacity{}, fmt.Errorf("host capacity: %w", ctx.Err())
	}
}

func (c *CapacityCache) fill(ctx context.Context, call *capacityCall) {
	call.val, call.err = c.load(ctx)
	c.mu.Lock()
	// An Invalidate during the read detached this call: its result may
	// predate the change, so it answers its waiters but is not kept.
	if c.inflight == call {
		if call.err == nil {
			c.val, c.at, c.valid = call.val, c.now(), true
		}
		c.inflight = nil
	}
	c.mu.Unlock()
	close(call.done)
}

// Invalidate drops the cached value, so the next Get reads again (after a
// CPU or memory hotplug), even while an older read is still running.
func (c *CapacityCache) Invalidate() {
	c.mu.Lock()
	c.valid = false
	c.inflight = nil
	c.mu.Unlock()
}
