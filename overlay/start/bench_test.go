package start_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// The richest ex command of the golden corpus, every Go layer applying.
const richest = "../layers/testdata/everything.json"

var benchCfg = vmplugin.Config{DomainType: "qemu", Arch: vmplugin.ArchX86_64}

var benchLayers = start.Layers{Order: layers.Order, Config: layer.Config{
	QemuArgsAllow: []string{`-global kvm-pit\.lost_tick_policy=(delay|discard)`}, NVRAMDir: "/var/lib/libvirt/qemu/nvram",
}}

func readRichest(b *testing.B) []byte {
	body, err := os.ReadFile(richest)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkStockBuild is the stock start's own work on the richest
// command: decode, validate, build, marshal (what /vm/start does before
// libvirt). BenchmarkExPipeline is the same for /ex/vm/start: start.Run on
// the offline target, i.e. decode, validate (the ex blocks included),
// build, every layer with its provenance, and the final marshal, with the
// options a start has below debug logging (paths and values recorded, no
// element summaries; "chain-explain" is render --explain's). One
// `go test -bench . ./overlay/start/` prints both side by side.
func BenchmarkStockBuild(b *testing.B) {
	body := readRichest(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		cmd, err := excmd.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.ValidateFor(ctx, benchCfg, buildHost); err != nil {
			b.Fatal(err)
		}
		d, err := vmplugin.Build(ctx, &cmd.StartVmCmd, benchCfg, buildHost)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := vmplugin.MarshalDomain(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExPipeline(b *testing.B) {
	body := readRichest(b)
	target := start.Offline{Config: benchCfg, Host: buildHost, Layer: layerHost{}}
	run := func(b *testing.B, body []byte, opt start.Options) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := start.Run(context.Background(), body, benchLayers, target, opt); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("chain", func(b *testing.B) { run(b, body, start.Options{}) })
	b.Run("chain-explain", func(b *testing.B) { run(b, body, start.Options{Explain: true}) })
	// The sampled cross-check: a whole-domain diff per layer.
	b.Run("chain-fulldiff", func(b *testing.B) { run(b, body, start.Options{FullDiff: true}) })
	// No ex block: the stock start with only the vendor fixes (what :7070's
	// start runs), the floor under every layer/ figure below.
	noEx := onlyBlock(b, body, "")
	b.Run("vendor-fixes", func(b *testing.B) { run(b, noEx, start.Options{}) })
	for _, l := range layers.Order {
		if l.Ex == nil {
			continue // a vendor fix has no block; it runs in every start above
		}
		only := onlyBlock(b, body, l.Ex.Key())
		b.Run("layer/"+l.Name, func(b *testing.B) { run(b, only, start.Options{}) })
	}
}

// onlyBlock is body with its ex object reduced to the one key (to none
// for "").
func onlyBlock(b *testing.B, body []byte, key string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		b.Fatal(err)
	}
	var ex map[string]json.RawMessage
	if err := json.Unmarshal(m["ex"], &ex); err != nil {
		b.Fatal(err)
	}
	keep := map[string]json.RawMessage{}
	if key != "" {
		keep[key] = ex[key]
	}
	m["ex"], _ = json.Marshal(keep)
	out, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
