package linux

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitCallbackSuccess(t *testing.T) {
	tests := []struct {
		name      string
		fn        func(calls int) (bool, error)
		timeout   time.Duration
		want      bool
		wantCalls func(int) bool
	}{
		{"true at once", func(int) (bool, error) { return true, nil }, time.Second, true, func(n int) bool { return n == 1 }},
		{"true on the third try", func(n int) (bool, error) { return n == 3, nil }, time.Second, true, func(n int) bool { return n == 3 }},
		{"never true", func(int) (bool, error) { return false, nil }, 30 * time.Millisecond, false, func(n int) bool { return n >= 2 }},
		{"zero timeout still tries once", func(int) (bool, error) { return false, nil }, 0, false, func(n int) bool { return n == 1 }},
		{"error ends the wait", func(int) (bool, error) { return false, errors.New("boom") }, time.Second, false, func(n int) bool { return n == 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			got := WaitCallbackSuccess(context.Background(), func() (bool, error) {
				calls++
				return tc.fn(calls)
			}, tc.timeout, 5*time.Millisecond)
			if got != tc.want || !tc.wantCalls(calls) {
				t.Fatalf("got %v after %d calls", got, calls)
			}
		})
	}
}

func TestWaitCallbackSuccessCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if WaitCallbackSuccess(ctx, func() (bool, error) { return false, nil }, time.Minute, time.Second) {
		t.Fatal("got true")
	}
	if time.Since(start) > 500*time.Millisecond {
		t.Fatal("a cancelled context did not end the wait")
	}
}
