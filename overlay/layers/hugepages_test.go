package layers_test

import (
	"errors"
	"testing"

	"github.com/strataagent/strata/overlay/layers"
)

func TestHugepages(t *testing.T) {
	ctx, err := applyLayer(t, layers.Hugepages, errCase{ex: `{"hugepages":{}}`})
	if err != nil {
		t.Fatal(err)
	}
	p := ctx.Domain.MemoryBacking.MemoryHugePages.Hugepages
	if len(p) != 1 || p[0].Size != 2048 || p[0].Unit != "KiB" {
		t.Errorf("pages %+v", p)
	}
	runErrCases(t, layers.Hugepages, []errCase{
		{name: "size", ex: `{"hugepages":{"size":4096}}`, want: `ex.hugepages.size: 4096 KiB is not an x86_64 huge page size (want 2048 or 1048576)`},
		// mn_example_a has 2 GiB; 1000 free 2 MiB pages are 2000 MiB
		{name: "too few", ex: `{"hugepages":{"size":2048}}`, host: func(h *fakeHost) { h.free[2048] = 1000 },
			want: `ex.hugepages: the host has 1000 free 2048 KiB pages (2000 MiB), the VM needs 2048 MiB`},
		{name: "no 1G pages", ex: `{"hugepages":{"size":1048576}}`,
			want: `ex.hugepages: the host has 0 free 1048576 KiB pages (0 MiB), the VM needs 2048 MiB`},
		{name: "host error", ex: `{"hugepages":{}}`, host: func(h *fakeHost) { h.freeErr = errors.New("open /sys/kernel/mm/hugepages: no such file") },
			want: `ex.hugepages: read the host's free 2048 KiB pages: open /sys/kernel/mm/hugepages: no such file`},
	})
}
