package start_test

import (
	"testing"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
)

func BenchmarkScratchDecodeEx(b *testing.B) {
	body := readRichest(b)
	b.ReportAllocs()
	for b.Loop() {
		cmd, err := excmd.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := layer.DecodeEx(cmd, benchLayers.Order, &layer.Check{Host: layerHost{}, Config: benchLayers.Config}); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkScratchDecode(b *testing.B) {
	body := readRichest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := excmd.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
