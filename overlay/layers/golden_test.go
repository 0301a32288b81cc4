package layers_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/overlay/domaintest"
	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// Golden ex corpus: testdata/<case>.json is a StartVmExCmd; the chain's
// final XML is testdata/<case>.xml and its --explain listing (or the error
// that failed the request) testdata/<case>.explain.txt. An optional
// <case>.config.json sets the builder's domain type, the layer config and
// test-only layers appended to the order (to make real conflicts).
var update = flag.Bool("update", false, "rewrite testdata/*.xml and *.explain.txt")

type goldenConfig struct {
	DomainType     string   `json:"domainType"`
	ConflictPolicy string   `json:"conflictPolicy"`
	QemuArgsAllow  []string `json:"qemuArgsAllow"`
	Extra          []string `json:"extra"`
}

// legacyAIO is a test-only layer standing for an older in-house layer that
// forces io="threads" on virtio disks: with disk-tuning's io="native" on
// the same disk, both write one attribute.
var legacyAIO = layer.Layer{
	Name:   "legacy-aio",
	Doc:    "io=threads on every virtio disk (test only)",
	Writes: []string{"/domain/devices/disk/driver/@io"},
	Apply: func(c *layer.Context) error {
		for i := range c.Domain.Devices.Disks {
			if d := &c.Domain.Devices.Disks[i]; d.Target != nil && d.Target.Bus == "virtio" && d.Driver != nil {
				d.Driver.IO = "threads"
			}
		}
		return nil
	},
}

// aioOverride does the same, declaring that it wins over disk-tuning.
var aioOverride = layer.Layer{
	Name:      "aio-override",
	Doc:       legacyAIO.Doc,
	Writes:    legacyAIO.Writes,
	Overrides: []string{"disk-tuning"},
	Apply:     legacyAIO.Apply,
}

var testLayers = map[string]layer.Layer{legacyAIO.Name: legacyAIO, aioOverride.Name: aioOverride}

type goldenCase struct {
	name   string
	body   []byte
	cmd    *excmd.StartVmExCmd
	cfg    goldenConfig
	layers []layer.Layer
}

func loadCases(t testing.TB) []goldenCase {
	t.Helper()
	files, _ := filepath.Glob("testdata/*.json")
	var out []goldenCase
	for _, f := range files {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cmd, err := excmd.Decode(body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		gc := goldenCase{name: strings.TrimSuffix(filepath.Base(f), ".json"), body: body, cmd: cmd, layers: append([]layer.Layer(nil), layers.Order...)}
		if b, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".config.json"); err == nil {
			if err := json.Unmarshal(b, &gc.cfg); err != nil {
				t.Fatalf("%s config: %v", f, err)
			}
		}
		for _, n := range gc.cfg.Extra {
			l, ok := testLayers[n]
			if !ok {
				t.Fatalf("%s: no test layer %q", f, n)
			}
			gc.layers = append(gc.layers, l)
		}
		out = append(out, gc)
	}
	if len(out) < 12 {
		t.Fatalf("only %d golden cases, want at least 12", len(out))
	}
	return out
}

// runCase returns the final XML ("" when the start failed) and the
// listing, from start.Run on the offline target (the live start's
// function), with the whole-domain provenance cross-check on.
func runCase(t testing.TB, gc goldenCase) (string, string) {
	t.Helper()
	cfg := vmplugin.Config{DomainType: gc.cfg.DomainType, Arch: vmplugin.ArchX86_64}
	if cfg.DomainType == "" {
		cfg.DomainType = "kvm"
	}
	target := start.Offline{Config: cfg, Host: buildHost, Layer: newFakeHost()}
	ls := start.Layers{Order: gc.layers, Config: layer.Config{
		ConflictPolicy: gc.cfg.ConflictPolicy, QemuArgsAllow: gc.cfg.QemuArgsAllow, NVRAMDir: "/var/lib/libvirt/qemu/nvram",
	}}
	res, err := start.Run(context.Background(), gc.body, ls, target, start.Options{FullDiff: true})
	if err != nil {
		return "", "error: " + err.Error() + "\n"
	}
	return res.FinalXML + "\n", res.Explain()
}

func TestGoldenCorpus(t *testing.T) {
	for _, gc := range loadCases(t) {
		t.Run(gc.name, func(t *testing.T) {
			x, explain := runCase(t, gc)
			domaintest.Golden(t, "testdata/"+gc.name+".explain.txt", explain, *update)
			xmlPath := "testdata/" + gc.name + ".xml"
			if x == "" {
				if _, err := os.Stat(xmlPath); err == nil && !*update {
					t.Errorf("%s exists but the chain failed", xmlPath)
				} else if *update {
					os.Remove(xmlPath)
				}
				return
			}
			domaintest.Golden(t, xmlPath, x, *update)
		})
	}
}

// TestGoldenCorpusCovers keeps the corpus honest: every Go layer changes
// something in some case, and the conflict and override cases say so.
func TestGoldenCorpusCovers(t *testing.T) {
	var all strings.Builder
	files, _ := filepath.Glob("testdata/*.explain.txt")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	corpus := all.String()
	for _, l := range layers.Order {
		if !strings.Contains(corpus, "\n"+l.Name+" ") {
			t.Errorf("no golden case shows a change by layer %s", l.Name)
		}
	}
	for _, marker := range []string{"conflict: layers", "layer/legacy-aio: layers", "acknowledged]"} {
		if !strings.Contains(corpus, marker) {
			t.Errorf("no golden case shows %q", marker)
		}
	}
}

func TestGoldenSchema(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	domaintest.Schema(t, files)
}

// TestGoldenDefine defines each golden XML on libvirt's in-process test
// driver (its parser and post-parse checks), then undefines it.
func TestGoldenDefine(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	domaintest.Define(t, files)
}

// TestStockUntouched: with ex absent or empty, the chain (but the vendor
// fixes) leaves every stock golden command's XML byte for byte.
func TestStockUntouched(t *testing.T) {
	files, _ := filepath.Glob("../../upstream/vmplugin/testdata/*.json")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		n++
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cfg := vmplugin.Config{}
		if b, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".config.json"); err == nil {
			if err := json.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
		}
		for _, form := range []string{"absent", "empty", "null"} {
			t.Run(filepath.Base(f)+"/"+form, func(t *testing.T) {
				b := body
				switch form {
				case "empty":
					b = withEx(t, body, "{}")
				case "null":
					b = withEx(t, body, "null")
				}
				cmd, err := excmd.Decode(b)
				if err != nil {
					t.Fatal(err)
				}
				ctx, err := stockContext(cmd, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := decodeEx(ctx); err != nil {
					t.Fatal(err)
				}
				stock, err := vmplugin.MarshalDomain(ctx.Domain)
				if err != nil {
					t.Fatal(err)
				}
				// The vendor fixes change the stock XML where the release's
				// is wrong (their own goldens show where): left out here.
				res, err := layer.Run(ctx, layers.Order[len(layers.VendorFixes):])
				if err != nil {
					t.Fatal(err)
				}
				after, _ := vmplugin.MarshalDomain(ctx.Domain)
				if res.FinalXML != stock || after != stock || len(res.Changes) != 0 || len(res.Applied) != 0 {
					t.Errorf("the chain changed the stock XML (applied %v):\n%s", res.Applied, res.Explain())
				}
			})
		}
	}
	if n < 16 {
		t.Fatalf("only %d stock commands found", n)
	}
}

func withEx(t *testing.T, body []byte, ex string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["ex"] = json.RawMessage(ex)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
