package both

import "testing"

func TestAlwaysFails(t *testing.T) {
	t.Error("broken before the release")
}
