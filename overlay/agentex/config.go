// Package agentex is the overlay agent's composition (cmd/strata-agent):
// the stock agent (upstream/agent) with VmPluginEx, one libvirt connection
// and one set of per-VM locks behind two servers: the stock API on :7070
// and /ex/ on :7071. Either can be switched off in config.
package agentex

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/upstream/agent"
)

// Settings is the overlay's table, after the stock one in --help, flags
// and STRATA_ names. Declarative layers live under layers.declarative in
// the same YAML file (not a flag: a list of structures).
func Settings() []agent.Setting {
	return append([]agent.Setting{
		{Key: "ex.enabled", Flag: "ex-enabled", Default: true, Help: "serve the extended API (/ex/...) on ex.listen"},
		{Key: "ex.listen", Flag: "ex-listen", Default: "0.0.0.0:7071", Help: "address the extended API listens on"},
		{Key: "stock.enabled", Flag: "stock-enabled", Default: true, Help: "serve the stock API on listen (VM routes with the overlay's reboot fix)"},
		{Key: "layers.conflict_policy", Flag: "conflict-policy", Default: "fail", Help: "two layers writing one path: fail (the request, or start-up for overlapping declarations) or warn"},
		{Key: "layers.qemu_args.allow", Flag: "qemu-args-allow", Default: "", Help: "regular expressions (YAML list, or comma-separated) an ex.qemuArgs argument must match in full; empty allows none"},
		{Key: "layers.uefi.nvram_dir", Flag: "nvram-dir", Default: layers.DefaultNVRAMDir, Help: "directory of the per-VM UEFI variable stores"},
	}, opsSettings()...)
}

// Config is the overlay's part of the configuration.
type Config struct {
	ExEnabled    bool
	ExListen     string
	StockEnabled bool
	Layer        layer.Config
	// File is the YAML file the configuration came from ("" when none):
	// SIGHUP reloads the declarative layers from it.
	File        string
	Declarative []declarative.Entry
	// Admin is the admin listener (ops.go); off in the zero value.
	Admin AdminConfig
	koanf *koanf.Koanf // what LoadConfig loaded, for config dump
}

// LoadConfig loads the stock and the overlay settings and the declarative
// layers, and validates the whole layer set. flags must come from
// agent.AddFlags(flags, Settings()). Errors name the file, line and key.
func LoadConfig(flags *pflag.FlagSet, environ []string) (agent.Config, Config, error) {
	file := configFile(flags)
	if file != "" {
		if err := checkFile(file, append(agent.Settings(), Settings()...)); err != nil {
			return agent.Config{}, Config{}, err
		}
	}
	cfg, k, err := agent.LoadConfig(flags, environ, Settings())
	if err != nil {
		return cfg, Config{}, annotate(err, file)
	}
	ex := Config{
		ExEnabled:    k.Bool("ex.enabled"),
		ExListen:     k.String("ex.listen"),
		StockEnabled: k.Bool("stock.enabled"),
		File:         file,
		Admin:        adminConfig(k),
		koanf:        k,
		Layer: layer.Config{
			ConflictPolicy: k.String("layers.conflict_policy"),
			QemuArgsAllow:  stringList(k, "layers.qemu_args.allow"),
			NVRAMDir:       k.String("layers.uefi.nvram_dir"),
		},
	}
	if err := ex.validate(); err != nil {
		return cfg, ex, annotate(err, file)
	}
	entries, err := declarative.Load(k)
	if err != nil {
		if file != "" {
			err = declarative.Annotate(err, file)
		}
		return cfg, ex, err
	}
	ex.Declarative = entries
	if _, _, err := ValidateLayers(ex.Declarative, ex.Layer.ConflictPolicy); err != nil {
		if file != "" {
			err = declarative.Annotate(err, file)
		}
		return cfg, ex, err
	}
	return cfg, ex, nil
}

// configFile is the YAML file LoadConfig read, as agent.LoadConfig picks it.
func configFile(flags *pflag.FlagSet) string {
	if p, _ := flags.GetString("config"); p != "" {
		return p
	}
	if _, err := os.Stat(agent.DefaultConfigFile); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return agent.DefaultConfigFile
	}
	return ""
}

func (c Config) validate() error {
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
// checks the whole order (layer.ValidateOrder). It returns the order and
// the layers whose declared writes overlap (layer.CheckDeclarations): those
// are reported (logged at start-up and reload, listed by `layers`), not
// refused, since a declaration is coarser than a write (machine declares
// every disk); whether two layers really write one path is found per
// request, where layers.conflict_policy fails or warns.
func ValidateLayers(entries []declarative.Entry, policy string) ([]layer.Layer, []layer.Conflict, error) {
	order, err := declarative.Place(layers.Order, entries)
	if err != nil {
		return nil, nil, err
	}
	if err := layer.ValidateOrder(order); err != nil {
		return order, nil, fmt.Errorf("layer order: %w", err)
	}
	return order, layer.CheckDeclarations(order), nil
}

// stringList reads a list setting given as a YAML list or one
// comma-separated string (flags, STRATA_ variables), exactly as the stock
// agent reads vm.managed_dirs; upstream does not export it.
//
//strata:copy upstream/agent.stringList h1:l/AsxORLYyRlZogo69hhrjPRIor5wQxzLDzdQzdNgLI=
func stringList(k *koanf.Koanf, key string) []string {
	var parts []string
	if raw, ok := k.Get(key).([]any); ok {
		for _, v := range raw {
			parts = append(parts, fmt.Sprint(v))
		}
	} else {
		parts = strings.Split(k.String(key), ",")
	}
	out := []string{}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func goOrder() []layer.Layer { return layers.Order }
