package linux

import (
	"context"
	"time"
)

// WaitCallbackSuccess is linux.wait_callback_success: call fn every interval
// until it reports true (→ true) or timeout passes (→ false). fn is always
// called at least once. An error from fn ends the wait with false, as the
// seed's re-raised exception ends it; so does ctx being cancelled.
func WaitCallbackSuccess(ctx context.Context, fn func() (bool, error), timeout, interval time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := fn()
		if err != nil {
			return false
		}
		if ok {
			return true
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
