package linux2

import "testing"

func TestHasVhostNet(t *testing.T) {
	tests := []struct {
		fixture string
		want    bool
	}{
		{"bigbox", true},
		{"debian12", false}, // as on these nested hosts: libvirt refuses <driver name='vhost'>
		{"nonexistent", false},
	}
	for _, tc := range tests {
		if got := fixture(tc.fixture).HasVhostNet(); got != tc.want {
			t.Errorf("%s: HasVhostNet() = %v, want %v", tc.fixture, got, tc.want)
		}
	}
}
