package build

import (
	"testing"

	"example.com/tb/upstream/up"
)

func TestLegacy(t *testing.T) {
	if up.Legacy() != 1 {
		t.Error("legacy")
	}
}
