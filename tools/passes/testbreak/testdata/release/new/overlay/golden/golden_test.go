package golden

import (
	"flag"
	"os"
	"testing"

	"example.com/tb/upstream/up"
)

var update = flag.Bool("update", false, "rewrite testdata/name.txt")

func TestGolden(t *testing.T) {
	got := up.Name() + "\n"
	if *update {
		if err := os.WriteFile("testdata/name.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/name.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("testdata/name.txt differs (run with -update to accept): %q", got)
	}
}
