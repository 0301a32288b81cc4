// Package agentex is the overlay agent's composition (cmd/strata-agent):
// the stock agent (upstream/agent) with VmPluginEx, one libvirt connection
// and one set of per-VM locks behind two servers: the stock API on :7070
// and /ex/ on :7071. Either can be switched off in config.
package agentex

import (
	"errors"
	"fmt"
	"strings"

	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/strataagent/strata/overlay/config"
	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/upstream/agent"
)

// DefaultFullDiffEvery is layers.provenance_check_every's default: one ex
// start in this many also diffs the whole domain per layer.
const DefaultFullDiffEvery = 64

// Settings is the overlay's table, after the stock one in --help, flags
// and STRATA_ names. Declarative layers live under layers.declarative in
// the same YAML file (not a flag: a list of structures).
func Settings() []agent.Setting {
	return append([]agent.Setting{
		{Key: "ex.enabled", Flag: "ex-enabled", Default: true, Help: "serve the extended API (/ex/...) on ex.listen"},
		{Key: "ex.listen", Flag: "ex-listen", Default: "0.0.0.0:7071", Help: "address the extended API listens on"},
		{Key: "stock.enabled", Flag: "stock-enabled", Default: true, Help: "serve the stock API on listen (VM routes with the overlay's reboot fix)"},
		{Key: "layers.conflict_policy", Flag: "conflict-policy", Default: "fail", Help: "two layers writing one path: fail (the request, or start-up for overlapping declarations) or warn"},
		{Key: "layers.qemu_args.allow", Flag: "qemu-args-allow", Default: "", Help: `entries "OPTION-REGEXP [VALUE-REGEXP]" an ex.qemuArgs option and its value must match in full (YAML list; in a flag or variable a JSON list or one per line); empty allows none`},
		{Key: "layers.uefi.nvram_dir", Flag: "nvram-dir", Default: layers.DefaultNVRAMDir, Help: "directory of the per-VM UEFI variable stores"},
		{Key: "layers.provenance_check_every", Flag: "provenance-check-every", Default: DefaultFullDiffEvery, Help: "one ex start in N also diffs the whole domain per layer, catching a write outside a layer's declared part; 0 never"},
	}, opsSettings()...)
}

// Config is the overlay's part of the configuration: what config.Overlay
// holds, plus the admin listener's and the ports' authentication, which
// take effect at start-up only.
type Config struct {
	ExEnabled     bool
	ExListen      string
	StockEnabled  bool
	Layer         layer.Config
	FullDiffEvery uint64
	// File is the YAML file the configuration came from ("" when none):
	// a reload reads it again.
	File        string
	Declarative []declarative.Entry
	// Admin is the admin listener (ops.go); off in the zero value.
	Admin AdminConfig
	koanf *koanf.Koanf // what Load loaded, for config dump
}

func (c Config) overlay() config.Overlay {
	return config.Overlay{
		ExEnabled: c.ExEnabled, ExListen: c.ExListen, StockEnabled: c.StockEnabled, Layer: c.Layer,
		FullDiffEvery: c.FullDiffEvery, File: c.File, Declarative: c.Declarative,
	}
}

// configOf is the Config of a loaded snapshot.
func configOf(s *config.Snapshot) Config {
	o := s.Overlay
	c := Config{
		ExEnabled: o.ExEnabled, ExListen: o.ExListen, StockEnabled: o.StockEnabled, Layer: o.Layer,
		FullDiffEvery: o.FullDiffEvery, File: o.File, Declarative: o.Declarative, koanf: s.K,
	}
	if s.K != nil {
		c.Admin = adminConfig(s.K)
	}
	return c
}

// Spec is what strata-agent's configuration is checked against.
func Spec() config.Spec {
	return config.Spec{
		Settings: Settings(),
		GoOrder:  layers.Order,
		Lists:    map[string]bool{"vm.managed_dirs": true, "layers.qemu_args.allow": true},
		Check:    validate,
	}
}

// Load reads and validates the whole configuration (config.Load with Spec).
func Load(flags *pflag.FlagSet, environ []string) (*config.Snapshot, error) {
	return config.Load(Spec(), flags, environ)
}

// LoadConfig is Load, split as New takes it.
func LoadConfig(flags *pflag.FlagSet, environ []string) (agent.Config, Config, error) {
	s, err := Load(flags, environ)
	if err != nil {
		return agent.Config{}, Config{}, err
	}
	return s.Stock, configOf(s), nil
}

func validate(c config.Overlay) error {
	var errs []error
	if c.Layer.ConflictPolicy != layer.PolicyFail && c.Layer.ConflictPolicy != layer.PolicyWarn {
		errs = append(errs, fmt.Errorf("layers.conflict_policy: %q is not fail or warn", c.Layer.ConflictPolicy))
	}
	if _, err := layers.CompileQemuArgsAllow(c.Layer.QemuArgsAllow); err != nil {
		errs = append(errs, err)
	}
	if c.Layer.NVRAMDir == "" || !strings.HasPrefix(c.Layer.NVRAMDir, "/") {
		errs = append(errs, fmt.Errorf("layers.uefi.nvram_dir: %q is not an absolute path", c.Layer.NVRAMDir))
	}
	if !c.ExEnabled && !c.StockEnabled {
		errs = append(errs, errors.New("ex.enabled and stock.enabled are both false: nothing to serve"))
	}
	return errors.Join(errs...)
}

// ValidateLayers places the declarative entries among the Go layers and
// checks the whole order. It returns the order and the layers whose
// declared writes overlap (reported, not refused: a declaration is coarser
// than a write; per request layers.conflict_policy fails or warns).
func ValidateLayers(entries []declarative.Entry, policy string) ([]layer.Layer, []layer.Overlap, error) {
	s, err := config.Build(Spec(), agent.Config{}, config.Overlay{Declarative: entries, Layer: layer.Config{ConflictPolicy: policy}})
	if err != nil {
		return nil, nil, err
	}
	return s.Order, s.Overlaps, nil
}

func goOrder() []layer.Layer { return layers.Order }
