package lock_test

import (
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/lock"
)

func TestFormatParse(t *testing.T) {
	es := []lock.Entry{
		{Kind: "copy", Symbol: "upstream/vmplugin.MakeCPU", Fingerprint: "h1:abc="},
		{Kind: "route", Symbol: "/vm/start", Fingerprint: "async,upstream:async"},
		{Kind: "xml", Symbol: "/domain/devices/disk/driver/@io", Fingerprint: "h1:def="},
	}
	text := lock.Format(es)
	if !strings.HasPrefix(text, "# ") || !strings.Contains(text, "\nroute /vm/start async,upstream:async\n") {
		t.Errorf("format:\n%s", text)
	}
	got, err := lock.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(es) {
		t.Fatalf("parsed %d entries, want %d", len(got), len(es))
	}
	for i := range es {
		if got[i] != es[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], es[i])
		}
	}
	if _, err := lock.Parse([]byte("use upstream/x.Y\n")); err == nil || !strings.Contains(err.Error(), "strata.lock:1") {
		t.Errorf("a two-field line: %v", err)
	}
}

func TestOriginalPath(t *testing.T) {
	got := lock.OriginalPath("/r", "upstream/vmplugin.(*Plugin).StartVm")
	if got != "/r/overlay/strata.lock.d/upstream_vmplugin.__Plugin_.StartVm.go.txt" {
		t.Errorf("OriginalPath = %s", got)
	}
}
