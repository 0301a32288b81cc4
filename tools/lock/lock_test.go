package lock_test

import (
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/lock"
)

func TestFormatParse(t *testing.T) {
	ls := []lock.Line{
		{Kind: "body", Key: "upstream/vmplugin.MakeCPU", Data: "h1:abc= routes:h1:def="},
		{Kind: "route", Key: "/vm/start", Data: "async upstream/vmplugin"},
		{Kind: "type", Key: "upstream/linux.QemuImgPath", Data: "func(configured string) string"},
	}
	text := lock.Format(ls)
	if !strings.HasPrefix(text, "# ") || !strings.Contains(text, "\nroute /vm/start async upstream/vmplugin\n") {
		t.Errorf("format:\n%s", text)
	}
	got, err := lock.Parse("overlay/strata.lock", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ls) {
		t.Fatalf("parsed %d lines, want %d", len(got), len(ls))
	}
	for i := range ls {
		if got[i].Kind != ls[i].Kind || got[i].Key != ls[i].Key || got[i].Data != ls[i].Data {
			t.Errorf("line %d = %+v, want %+v", i, got[i], ls[i])
		}
	}
	if _, err := lock.Parse("overlay/strata.lock", []byte("type upstream/x.Y\n")); err == nil || !strings.Contains(err.Error(), "strata.lock:1") {
		t.Errorf("a two-field line: %v", err)
	}
}

func TestOriginalPath(t *testing.T) {
	got := lock.OriginalPath("/r/overlay/strata.lock.d", "upstream/vmplugin.(*Plugin).StartVm")
	if got != "/r/overlay/strata.lock.d/upstream_vmplugin.__Plugin_.StartVm.go.txt" {
		t.Errorf("OriginalPath = %s", got)
	}
}
