// Package config is strata-agent's configuration, read one way for
// start-up, `strata-agent layers` and reload alike: the file read once (a
// pipe works), parsed once, checked key by key against the settings
// tables, layered under STRATA_ variables and flags, the declarative
// layers placed once among the Go layers, the whole validated into one
// immutable Snapshot. Errors name the file, line and key.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/upstream/agent"
)

// MaxFileSize bounds the configuration file: it is read whole, once.
const MaxFileSize = 16 << 20

// Overlay is the overlay's part of the configuration.
type Overlay struct {
	ExEnabled    bool
	ExListen     string
	StockEnabled bool
	Layer        layer.Config
	// FullDiffEvery cross-checks one ex start in N with a whole-domain
	// provenance diff (layers.provenance_check_every); 0 never.
	FullDiffEvery uint64
	// File is the YAML file the configuration came from ("" when none):
	// a reload reads it again.
	File        string
	Declarative []declarative.Entry
}

// Spec is what the configuration is checked against: the overlay's
// settings table (beside the stock one), the Go layers the declarative
// ones are placed among, and the overlay's own checks. The package knows
// no layer implementation: the composition (overlay/agentex) passes them.
type Spec struct {
	Settings []agent.Setting
	GoOrder  []layer.Layer
	// Lists are the settings that take a list (a YAML list, or in a flag or
	// variable a JSON list or one item per line).
	Lists map[string]bool
	// Check validates the overlay's part; each line of its error starts
	// with the key it is about, so it gets file:line.
	Check func(Overlay) error
}

// Snapshot is one validated configuration. Nothing in it changes after
// Load or Build returns it.
type Snapshot struct {
	Stock agent.Config
	Overlay
	// Order is the whole layer order, Go layers with the declarative ones placed.
	Order []layer.Layer
	// Overlaps are declared writes of two layers that overlap: checked per
	// request by layers.conflict_policy, reported at load.
	Overlaps []layer.Overlap
	// Generation counts reloads: 1 at start-up.
	Generation uint64
	// K holds every setting as loaded (nil for Build): the composition
	// reads its own restart-only settings from it and dumps it.
	K *koanf.Koanf

	values map[string]any // every setting's effective value, by key
	items  map[string]any // each declarative entry as written, by name
}

// Load reads the configuration: defaults < the YAML file (--config, else
// agent.DefaultConfigFile when present) < STRATA_ variables < flags.
// flags must come from agent.AddFlags(flags, spec.Settings).
func Load(spec Spec, flags *pflag.FlagSet, environ []string) (*Snapshot, error) {
	path := fileOf(flags)
	var doc *yamlv3.Node
	if path != "" {
		var err error
		if doc, err = readFile(path); err != nil {
			return nil, err
		}
	}
	table := append(agent.Settings(), spec.Settings...)
	if err := checkDoc(path, doc, table, spec.Lists); err != nil {
		return nil, err
	}
	k, err := layered(table, doc, flags, environ)
	if err != nil {
		return nil, annotate(err, path, doc)
	}
	stock := stockConfig(k)
	if err := stock.Validate(); err != nil {
		return nil, annotate(err, path, doc)
	}
	ov := Overlay{
		ExEnabled:     k.Bool("ex.enabled"),
		ExListen:      k.String("ex.listen"),
		StockEnabled:  k.Bool("stock.enabled"),
		FullDiffEvery: uint64(max(k.Int64("layers.provenance_check_every"), 0)),
		File:          path,
		Layer: layer.Config{
			ConflictPolicy: k.String("layers.conflict_policy"),
			QemuArgsAllow:  listOf(k, "layers.qemu_args.allow"),
			NVRAMDir:       k.String("layers.uefi.nvram_dir"),
		},
	}
	if spec.Check != nil {
		if err := spec.Check(ov); err != nil {
			return nil, annotate(err, path, doc)
		}
	}
	// The entries come from the parsed file itself, so values keep the
	// text written (2.0 stays "2.0"); they have no flag or variable form.
	entries, err := declarative.LoadNode(path, doc)
	if err != nil {
		return nil, err
	}
	ov.Declarative = entries
	snap, err := Build(spec, stock, ov)
	if err != nil {
		return nil, declarative.AnnotateDoc(err, path, doc)
	}
	snap.K = k
	snap.values = k.All()
	delete(snap.values, declarative.ConfigKey)
	snap.items = itemsByName(k.Get(declarative.ConfigKey))
	return snap, nil
}

// Build validates a configuration given as values (tests, and Load's last
// step): the declarative entries placed once, the order checked.
func Build(spec Spec, stock agent.Config, ov Overlay) (*Snapshot, error) {
	order, err := declarative.Place(spec.GoOrder, ov.Declarative)
	if err != nil {
		return nil, err
	}
	if err := layer.ValidateOrder(order); err != nil {
		return nil, fmt.Errorf("layer order: %w", err)
	}
	return &Snapshot{Stock: stock, Overlay: ov, Order: order, Overlaps: layer.CheckDeclarations(order), Generation: 1}, nil
}

// fileOf is the file Load reads, "" for none.
func fileOf(flags *pflag.FlagSet) string {
	if flags != nil {
		if p, _ := flags.GetString("config"); p != "" {
			return p
		}
	}
	if _, err := os.Stat(agent.DefaultConfigFile); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return agent.DefaultConfigFile
	}
	return ""
}

// readFile reads and parses the file once; a pipe (/dev/stdin, <(...))
// works, being read once. An empty file is an empty document.
func readFile(path string) (*yamlv3.Node, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config file %s: %w", path, err)
	}
	defer f.Close()
	src, err := readBounded(f, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read config file %s: %w", path, err)
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return &doc, nil
}

// layered is the koanf of every setting: defaults, the parsed file, the
// environment, then the flags the user set (the stock agent's order).
//
//strata:copy upstream/agent.LoadConfig h1:Vekg75XGe2g2FSunIIewrMRQNbppL/GINV2ZjUiuaqI=
func layered(table []agent.Setting, doc *yamlv3.Node, flagSet *pflag.FlagSet, environ []string) (*koanf.Koanf, error) {
	k := koanf.New(".")
	defaults := map[string]any{}
	byFlag := map[string]string{}
	byEnv := map[string]string{}
	for _, s := range table {
		defaults[s.Key] = s.Default
		byFlag[s.Flag] = s.Key
		byEnv[s.Env()] = s.Key
	}
	if err := k.Load(confmap.Provider(defaults, "."), nil); err != nil {
		return nil, fmt.Errorf("load defaults: %w", err)
	}
	if doc != nil {
		var m map[string]any
		if err := doc.Decode(&m); err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		if err := k.Load(confmap.Provider(m, ""), nil); err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
	}
	var unknown []string
	envProvider := env.Provider(".", env.Opt{
		Prefix:      "STRATA_",
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, value string) (string, any) {
			key, ok := byEnv[name]
			if !ok {
				unknown = append(unknown, name)
				return "", nil
			}
			return key, value
		},
	})
	if err := k.Load(envProvider, nil); err != nil {
		return nil, fmt.Errorf("read STRATA_ environment: %w", err)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown environment variable(s) %s (see --help for the settings)", strings.Join(unknown, ", "))
	}
	if flagSet != nil {
		flagValues := posflag.ProviderWithFlag(flagSet, ".", k, func(f *pflag.Flag) (string, any) {
			key, ok := byFlag[f.Name]
			if !ok || !f.Changed {
				return "", nil
			}
			return key, posflag.FlagVal(flagSet, f)
		})
		if err := k.Load(flagValues, nil); err != nil {
			return nil, fmt.Errorf("read flags: %w", err)
		}
	}
	return k, nil
}

// stockConfig is the stock agent's Config of k.
//
//strata:copy upstream/agent.fromKoanf h1:0gNQA8nqgkyKpTs+qpmqcuAEUYc34UgzZ6w2dcQNOQg=
func stockConfig(k *koanf.Koanf) agent.Config {
	return agent.Config{
		Listen:                   k.String("listen"),
		LibvirtURI:               k.String("libvirt.uri"),
		LibvirtCallTimeout:       k.Duration("libvirt.call_timeout"),
		LibvirtKeepAliveInterval: k.Duration("libvirt.keepalive_interval"),
		LibvirtKeepAliveCount:    k.Int("libvirt.keepalive_count"),
		DomainType:               k.String("vm.domain_type"),
		Arch:                     k.String("vm.arch"),
		Emulator:                 k.String("vm.emulator"),
		ManagedDirs:              stringList(k, "vm.managed_dirs"),
		GracefulStopWait:         k.Duration("vm.graceful_stop_wait"),
		CallbackTimeout:          k.Duration("callback.timeout"),
		CallbackRetries:          k.Int("callback.retries"),
		BodyLimit:                k.Int64("http.body_limit"),
		Workers:                  k.Int("tasks.workers"),
		HostWorkers:              k.Int("tasks.host_workers"),
		QueueLimit:               k.Int("tasks.queue_limit"),
		TaskLimit:                k.Int("tasks.limit"),
		CallbackDeadline:         k.Duration("callback.deadline"),
		CallbackConc:             k.Int("callback.concurrency"),
		ReadTimeout:              k.Duration("http.read_timeout"),
		IdleTimeout:              k.Duration("http.idle_timeout"),
		TaskRetention:            k.Duration("tasks.retention"),
		ShutdownTimeout:          k.Duration("shutdown.timeout"),
		LogLevel:                 k.String("log.level"),
		LogFormat:                k.String("log.format"),
	}
}

// stringList reads a list setting given as a YAML list or one
// comma-separated string (flags, STRATA_ variables), exactly as the stock
// agent reads vm.managed_dirs.
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

// listOf reads an overlay list setting whose items may hold commas (regular
// expressions): a YAML list; or, from a flag or variable, a JSON list
// (`["a{1,2}", "b"]`) or one item per line. Nothing is split inside an item.
func listOf(k *koanf.Koanf, key string) []string {
	var items []string
	switch raw := k.Get(key).(type) {
	case []any:
		for _, v := range raw {
			items = append(items, fmt.Sprint(v))
		}
	case []string:
		items = raw
	default:
		s := strings.TrimSpace(k.String(key))
		if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &items) == nil {
			break
		}
		items = strings.Split(s, "\n")
	}
	out := []string{}
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func itemsByName(raw any) map[string]any {
	list, _ := raw.([]any)
	out := make(map[string]any, len(list))
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				out[n] = it
			}
		}
	}
	return out
}

// Changes is what a reload changed.
type Changes struct {
	// Applied are settings applied at run time (layers.*), by key.
	Applied []string
	// NeedRestart are changed settings that take effect only at the next start.
	NeedRestart []string
	// Declarative layers added, removed and changed, by name.
	Added, Removed, Changed []string
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Applied)+len(c.NeedRestart)+len(c.Added)+len(c.Removed)+len(c.Changed) == 0
}

// RuntimeKey reports whether a setting takes effect on reload: the layers'
// settings do (they are read per request); the rest are read at start-up.
func RuntimeKey(key string) bool { return strings.HasPrefix(key, "layers.") }

// Since lists what changed from old to s.
func (s *Snapshot) Since(old *Snapshot) Changes {
	var c Changes
	keys := map[string]bool{}
	for k := range s.values {
		keys[k] = true
	}
	for k := range old.values {
		keys[k] = true
	}
	for k := range keys {
		if fmt.Sprint(s.values[k]) == fmt.Sprint(old.values[k]) {
			continue
		}
		if RuntimeKey(k) {
			c.Applied = append(c.Applied, k)
		} else {
			c.NeedRestart = append(c.NeedRestart, k)
		}
	}
	for n, it := range s.items {
		o, ok := old.items[n]
		switch {
		case !ok:
			c.Added = append(c.Added, n)
		case !reflect.DeepEqual(it, o):
			c.Changed = append(c.Changed, n)
		}
	}
	for n := range old.items {
		if _, ok := s.items[n]; !ok {
			c.Removed = append(c.Removed, n)
		}
	}
	for _, l := range []*[]string{&c.Applied, &c.NeedRestart, &c.Added, &c.Removed, &c.Changed} {
		slices.Sort(*l)
	}
	return c
}
