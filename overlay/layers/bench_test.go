package layers_test

import (
	"context"
	"os"
	"testing"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// BenchmarkChain runs the richest golden command (testdata/everything.json):
// the stock Build alone, the whole chain (excluding Build), and each layer
// alone on a fresh stock domain (with its provenance record).
func BenchmarkChain(b *testing.B) {
	body, err := os.ReadFile("testdata/everything.json")
	if err != nil {
		b.Fatal(err)
	}
	cmd, err := excmd.Decode(body)
	if err != nil {
		b.Fatal(err)
	}
	cfg := vmplugin.Config{DomainType: "qemu", Arch: vmplugin.ArchX86_64}
	lcfg := layer.Config{QemuArgsAllow: []string{"-global", `kvm-pit\.lost_tick_policy=(delay|discard)`}}
	newCtx := func() *layer.Context {
		d, err := vmplugin.Build(context.Background(), &cmd.StartVmCmd, cfg, buildHost{})
		if err != nil {
			b.Fatal(err)
		}
		return &layer.Context{Ctx: context.Background(), Cmd: cmd, Domain: d, Host: newFakeHost(), Config: lcfg}
	}
	b.Run("stock-build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, err := vmplugin.Build(context.Background(), &cmd.StartVmCmd, cfg, buildHost{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := vmplugin.MarshalDomain(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	run := func(b *testing.B, ls []layer.Layer) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			ctx := newCtx()
			b.StartTimer()
			if _, err := layer.Run(ctx, ls); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("chain", func(b *testing.B) { run(b, layers.Order) })
	for _, l := range layers.Order {
		b.Run("layer/"+l.Name, func(b *testing.B) { run(b, []layer.Layer{l}) })
	}
}
