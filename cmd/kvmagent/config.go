package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// defaultConfigFile is read when present and --config is not given.
const defaultConfigFile = "/etc/strata/agent.yaml"

// setting is one configuration key. The table below is the single source of
// the defaults, the flags, the STRATA_ environment names and --help.
type setting struct {
	Key     string // koanf path, as written in the YAML file
	Flag    string
	Default any
	Help    string
}

// Env is the environment variable that sets the key: STRATA_ + the key in
// upper case with dots as underscores.
func (s setting) Env() string {
	return "STRATA_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(s.Key))
}

var settings = []setting{
	{"listen", "listen", "0.0.0.0:7070", "address the stock agent listens on"},
	{"libvirt.uri", "libvirt-uri", "test:///default", "libvirt URI (test:///default needs no daemon; qemu:///system is the real host)"},
	{"vm.domain_type", "domain-type", "kvm", "domain type written into <domain type>: kvm, or qemu where /dev/kvm is missing"},
	{"vm.arch", "arch", "x86_64", "host architecture the builder targets: x86_64 or aarch64"},
	{"vm.emulator", "emulator", "", "default emulator when addons.qemuPath is unset (empty: first of /usr/libexec/qemu-kvm, /bin/qemu-kvm, /usr/bin/qemu-system-x86_64)"},
	{"vm.graceful_stop_wait", "graceful-stop-wait", 60 * time.Second, "how long a graceful stop sends ACPI shutdowns before destroying"},
	{"callback.timeout", "callback-timeout", 120 * time.Second, "timeout of one callback POST to the management node"},
	{"callback.retries", "callback-retries", 15, "callback POST tries on connection errors and 5xx"},
	{"http.body_limit", "body-limit", int64(16 << 20), "largest request body accepted, in bytes"},
	{"tasks.workers", "workers", 10, "async handlers running at once (kvmagent's POOLSIZE)"},
	{"tasks.retention", "task-retention", 10 * time.Minute, "how long a finished task's result answers a retried request with the same taskuuid"},
	{"shutdown.timeout", "shutdown-timeout", 5 * time.Minute, "how long a graceful shutdown waits for running tasks"},
	{"log.level", "log-level", "info", "debug, info, warn or error"},
	{"log.format", "log-format", "text", "text or json"},
}

// Config is the agent's typed configuration.
type Config struct {
	Listen     string
	LibvirtURI string
	DomainType string
	Arch       string
	Emulator   string

	GracefulStopWait time.Duration
	CallbackTimeout  time.Duration
	CallbackRetries  int
	BodyLimit        int64
	Workers          int
	TaskRetention    time.Duration
	ShutdownTimeout  time.Duration
	LogLevel         string
	LogFormat        string
}

// addFlags defines --config and one flag per setting.
func addFlags(flags *pflag.FlagSet) {
	flags.String("config", "", "YAML configuration file (default "+defaultConfigFile+" if present)")
	for _, s := range settings {
		switch v := s.Default.(type) {
		case string:
			flags.String(s.Flag, v, s.Help)
		case int:
			flags.Int(s.Flag, v, s.Help)
		case int64:
			flags.Int64(s.Flag, v, s.Help)
		case time.Duration:
			flags.Duration(s.Flag, v, s.Help)
		}
	}
}

// loadConfig layers the sources: defaults, the YAML file, STRATA_
// environment variables, then the flags the user actually set.
func loadConfig(flagSet *pflag.FlagSet, environ []string) (Config, error) {
	k := koanf.New(".")
	defaults := map[string]any{}
	byFlag := map[string]string{}
	byEnv := map[string]string{}
	for _, s := range settings {
		defaults[s.Key] = s.Default
		byFlag[s.Flag] = s.Key
		byEnv[s.Env()] = s.Key
	}
	if err := k.Load(confmap.Provider(defaults, "."), nil); err != nil {
		return Config{}, fmt.Errorf("load defaults: %w", err)
	}

	path, _ := flagSet.GetString("config")
	explicit := path != ""
	if !explicit {
		path = defaultConfigFile
	}
	if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
		if explicit || !errors.Is(err, fs.ErrNotExist) {
			return Config{}, fmt.Errorf("read config file %s: %w", path, err)
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
		return Config{}, fmt.Errorf("read STRATA_ environment: %w", err)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Config{}, fmt.Errorf("unknown environment variable(s) %s (see --help for the settings)", strings.Join(unknown, ", "))
	}

	flagValues := posflag.ProviderWithFlag(flagSet, ".", k, func(f *pflag.Flag) (string, any) {
		key, ok := byFlag[f.Name]
		if !ok || !f.Changed {
			return "", nil
		}
		return key, posflag.FlagVal(flagSet, f)
	})
	if err := k.Load(flagValues, nil); err != nil {
		return Config{}, fmt.Errorf("read flags: %w", err)
	}

	cfg := Config{
		Listen:           k.String("listen"),
		LibvirtURI:       k.String("libvirt.uri"),
		DomainType:       k.String("vm.domain_type"),
		Arch:             k.String("vm.arch"),
		Emulator:         k.String("vm.emulator"),
		GracefulStopWait: k.Duration("vm.graceful_stop_wait"),
		CallbackTimeout:  k.Duration("callback.timeout"),
		CallbackRetries:  k.Int("callback.retries"),
		BodyLimit:        k.Int64("http.body_limit"),
		Workers:          k.Int("tasks.workers"),
		TaskRetention:    k.Duration("tasks.retention"),
		ShutdownTimeout:  k.Duration("shutdown.timeout"),
		LogLevel:         k.String("log.level"),
		LogFormat:        k.String("log.format"),
	}
	return cfg, cfg.validate()
}

func (c Config) validate() error {
	var errs []error
	if c.DomainType != "kvm" && c.DomainType != "qemu" {
		errs = append(errs, fmt.Errorf("vm.domain_type: %q is not kvm or qemu", c.DomainType))
	}
	if c.Arch != "x86_64" && c.Arch != "aarch64" {
		errs = append(errs, fmt.Errorf("vm.arch: %q is not x86_64 or aarch64", c.Arch))
	}
	if c.CallbackRetries < 1 {
		errs = append(errs, fmt.Errorf("callback.retries: %d must be at least 1", c.CallbackRetries))
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("tasks.workers: %d must be at least 1", c.Workers))
	}
	if c.BodyLimit < 1024 {
		errs = append(errs, fmt.Errorf("http.body_limit: %d must be at least 1024", c.BodyLimit))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log.format: %q is not text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log.level: %q is not debug, info, warn or error", s)
	}
	return l, nil
}

func (c Config) logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// printSettings writes the settings table for --help.
func printSettings(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KEY (YAML)\tFLAG\tENVIRONMENT\tDEFAULT\tMEANING")
	for _, s := range settings {
		fmt.Fprintf(tw, "  %s\t--%s\t%s\t%v\t%s\n", s.Key, s.Flag, s.Env(), s.Default, s.Help)
	}
	tw.Flush()
}
