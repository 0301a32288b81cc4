package virtconn

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"libvirt.org/go/libvirt"
)

// libvirt's default event loop drives keepalive and close callbacks. It is
// process-wide in libvirt, so it is shared by every Conn: registered once,
// run by one goroutine while at least one Conn holds it, and stopped when
// the last one closes (tests check that no goroutine outlives them).
var loop struct {
	sync.Mutex
	registered bool
	users      int
	stop       atomic.Bool
	done       chan struct{}
}

// acquireLoop reports whether the caller holds the loop (and must release it).
func acquireLoop(log *slog.Logger) bool {
	loop.Lock()
	defer loop.Unlock()
	if !loop.registered {
		// Must precede the first connection for keepalive to be offered.
		if err := libvirt.EventRegisterDefaultImpl(); err != nil {
			log.Warn("libvirt event loop unavailable: no keepalive, calls are bounded by the timeout only", "err", readable(err))
			return false
		}
		loop.registered = true
	}
	loop.users++
	if loop.users > 1 {
		return true
	}
	loop.stop.Store(false)
	done := make(chan struct{})
	loop.done = done
	go func() {
		defer close(done)
		for !loop.stop.Load() {
			if err := libvirt.EventRunDefaultImpl(); err != nil {
				log.Warn("libvirt event loop iteration failed", "err", readable(err))
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return true
}

func releaseLoop() {
	loop.Lock()
	defer loop.Unlock()
	if loop.users == 0 {
		return
	}
	loop.users--
	if loop.users > 0 {
		return
	}
	loop.stop.Store(true)
	// A zero-period timer wakes the loop's poll at once; it removes itself.
	if _, err := libvirt.EventAddTimeout(0, func(timer int) { _ = libvirt.EventRemoveTimeout(timer) }); err != nil {
		return // the loop keeps running; it is idle and harmless
	}
	<-loop.done
}
