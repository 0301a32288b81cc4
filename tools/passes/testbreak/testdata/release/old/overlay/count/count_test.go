package count

import (
	"testing"

	"example.com/tb/upstream/up"
)

func TestChannels(t *testing.T) {
	for _, tt := range []struct {
		name string
		want int
	}{{"stock", 2}} {
		t.Run(tt.name, func(t *testing.T) {
			if got := up.Channels(); got != tt.want {
				t.Errorf("channels: %d, want %d", got, tt.want)
			}
		})
	}
}

func TestStill(t *testing.T) {
	if up.Channels() == 0 {
		t.Error("no channels")
	}
}
