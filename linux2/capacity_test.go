package linux2

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHostCapacity(t *testing.T) {
	tests := []struct {
		fixture string
		want    Capacity
		wantErr string
	}{
		{"debian12", Capacity{CPUNum: 2, CPUSpeed: 2445, CPUSockets: 1, TotalMemory: 24684092 * 1024}, ""},
		// cpufreq's maximum beats cpuinfo's MHz, as upstream's CPUSpeed does.
		{"bigbox", Capacity{CPUNum: 7, CPUSpeed: 3500, CPUSockets: 2, TotalMemory: 263856128 * 1024}, ""},
		{"broken", Capacity{}, `host capacity: get cpu speed: no cpufreq and no "cpu MHz" in testdata/broken/proc/cpuinfo`},
		{"nonexistent", Capacity{}, "host capacity: get cpu num: read testdata/nonexistent/proc/cpuinfo"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := fixture(tc.fixture).Capacity(context.Background())
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Capacity() = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := fixture("debian12").Capacity(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Capacity(canceled) err = %v", err)
	}
}

// clock is a settable time for the cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// loader answers Capacity{CPUNum: n} on its n-th call, or the error queued
// for that call; block, when set, holds each call until released.
type loader struct {
	calls atomic.Int32
	errs  map[int32]error
	block chan chan struct{} // each call sends its release channel here
}

func (l *loader) load(context.Context) (Capacity, error) {
	n := l.calls.Add(1)
	if l.block != nil {
		release := make(chan struct{})
		l.block <- release
		<-release
	}
	if err := l.errs[n]; err != nil {
		return Capacity{}, err
	}
	return Capacity{CPUNum: int(n)}, nil
}

func TestCapacityCacheTTL(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	l := &loader{errs: map[int32]error{3: errors.New("read /proc/cpuinfo: gone")}}
	c := newCapacityCache(l.load, 5*time.Second, clk.now)
	ctx := context.Background()
	steps := []struct {
		name    string
		advance time.Duration
		want    int // CPUNum, i.e. which load answered
		wantErr string
		loads   int32
	}{
		{"first read", 0, 1, "", 1},
		{"cached", 0, 1, "", 1},
		{"just before the TTL", 5*time.Second - time.Nanosecond, 1, "", 1},
		{"at the TTL: read again", time.Nanosecond, 2, "", 2},
		{"stale: read fails", 5 * time.Second, 0, "gone", 3},
		{"error not cached", 0, 4, "", 4},
		{"cached again", time.Second, 4, "", 4},
	}
	for _, s := range steps {
		clk.add(s.advance)
		got, err := c.Get(ctx)
		if s.wantErr != "" {
			wantErr(t, err, s.wantErr)
		} else if err != nil || got.CPUNum != s.want {
			t.Fatalf("%s: Get = %+v, %v; want load %d", s.name, got, err, s.want)
		}
		if n := l.calls.Load(); n != s.loads {
			t.Fatalf("%s: %d loads, want %d", s.name, n, s.loads)
		}
	}
	c.Invalidate()
	if got, err := c.Get(ctx); err != nil || got.CPUNum != 5 {
		t.Fatalf("after Invalidate: Get = %+v, %v; want load 5", got, err)
	}
}

func TestCapacityCacheSingleFlight(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	l := &loader{block: make(chan chan struct{})}
	c := newCapacityCache(l.load, time.Minute, clk.now)
	const callers = 16
	var wg sync.WaitGroup
	results := make(chan Capacity, callers)
	for range callers {
		wg.Go(func() {
			got, err := c.Get(context.Background())
			if err != nil {
				t.Error(err)
			}
			results <- got
		})
	}
	release := <-l.block // the one read is running; callers join it or, later, hit the cache
	close(release)
	wg.Wait()
	close(results)
	for got := range results {
		if got.CPUNum != 1 {
			t.Fatalf("a caller got %+v, want the one read's", got)
		}
	}
	if n := l.calls.Load(); n != 1 {
		t.Fatalf("%d reads for %d concurrent callers, want 1", n, callers)
	}
}

func TestCapacityCacheWaiterGivesUp(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	l := &loader{block: make(chan chan struct{}, 1)}
	c := newCapacityCache(l.load, time.Minute, clk.now)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx)
		errc <- err
	}()
	release := <-l.block
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Get after cancel: %v, want context.Canceled", err)
	}
	close(release) // the read goes on and is kept for the next caller
	got, err := c.Get(context.Background())
	if err != nil || got.CPUNum != 1 || l.calls.Load() != 1 {
		t.Fatalf("Get = %+v, %v after %d reads; want the first read, kept", got, err, l.calls.Load())
	}
}

func TestCapacityCacheInvalidateDuringRead(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	l := &loader{block: make(chan chan struct{})}
	c := newCapacityCache(l.load, time.Minute, clk.now)
	get := func() chan Capacity {
		ch := make(chan Capacity, 1)
		go func() {
			got, err := c.Get(context.Background())
			if err != nil {
				t.Error(err)
			}
			ch <- got
		}()
		return ch
	}
	a := get()
	releaseOld := <-l.block
	c.Invalidate() // e.g. a CPU came online while the first read ran
	b := get()
	releaseNew := <-l.block
	close(releaseNew)
	if got := <-b; got.CPUNum != 2 {
		t.Fatalf("caller after Invalidate got %+v, want the second read", got)
	}
	close(releaseOld)
	if got := <-a; got.CPUNum != 1 {
		t.Fatalf("caller before Invalidate got %+v, want the first read", got)
	}
	// Wait for the old read's bookkeeping, then check it did not overwrite.
	for c.inflightOf() != nil {
		time.Sleep(time.Millisecond)
	}
	if got, _ := c.Get(context.Background()); got.CPUNum != 2 || l.calls.Load() != 2 {
		t.Fatalf("cached %+v after %d reads; want the second read kept, not the older one", got, l.calls.Load())
	}
}

func (c *CapacityCache) inflightOf() *capacityCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight
}

func TestNewCapacityCacheDefaults(t *testing.T) {
	c := NewCapacityCache(fixture("debian12"), 0, nil)
	if c.ttl != DefaultCapacityTTL || c.now == nil {
		t.Fatalf("ttl %v, now set %v; want %v and time.Now", c.ttl, c.now != nil, DefaultCapacityTTL)
	}
	got, err := c.Get(context.Background())
	if err != nil || got.CPUNum != 2 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}

// TestCapacityCacheConcurrent hammers Get, the clock and Invalidate at once;
// run with -race.
func TestCapacityCacheConcurrent(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	l := &loader{}
	c := newCapacityCache(l.load, time.Second, clk.now)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if _, err := c.Get(context.Background()); err != nil {
					t.Error(err)
					return
				}
				switch {
				case i == 0 && j%10 == 0:
					clk.add(300 * time.Millisecond)
				case i == 1 && j%50 == 0:
					c.Invalidate()
				}
			}
		})
	}
	wg.Wait()
	if n := l.calls.Load(); n < 2 || n > 8*200 {
		t.Fatalf("%d reads", n)
	}
}

func BenchmarkCapacityCacheHit(b *testing.B) {
	c := NewCapacityCache(fixture("bigbox"), time.Hour, nil)
	ctx := context.Background()
	if _, err := c.Get(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHostCapacityUncached(b *testing.B) {
	h := fixture("bigbox")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Capacity(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
