package agent

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
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

// DefaultConfigFile is read when present and --config is not given.
const DefaultConfigFile = "/etc/strata/agent.yaml"

// Setting is one configuration key. The stock table (Settings) is the
// single source of the defaults, the flags, the STRATA_ environment names
// and --help; a downstream agent passes its own table as extra to
// AddFlags, LoadConfig and PrintSettings.
type Setting struct {
	Key     string // koanf path, as written in the YAML file
	Flag    string
	Default any
	Help    string
}

// Env is the environment variable that sets the key: STRATA_ + the key in
// upper case with dots as underscores.
func (s Setting) Env() string {
	return "STRATA_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(s.Key))
}

// Settings returns the stock agent's settings (a fresh copy: a caller's
// edit changes nothing the agent reads).
func Settings() []Setting { return slices.Clone(settings) }

// settings is part of the release: the release-merge tool diffs it.
var settings = []Setting{
	{"listen", "listen", "0.0.0.0:7070", "address the stock agent listens on"},
	{"libvirt.uri", "libvirt-uri", "test:///default", "libvirt URI (test:///default needs no daemon; qemu:///system is the real host)"},
	{"vm.domain_type", "domain-type", "kvm", "domain type written into <domain type>: kvm, or qemu where /dev/kvm is missing"},
	{"vm.arch", "arch", "x86_64", "host architecture the builder targets: x86_64 or aarch64"},
	{"vm.emulator", "emulator", "", "default emulator when addons.qemuPath is unset (empty: first of /usr/libexec/qemu-kvm, /bin/qemu-kvm, /usr/bin/qemu-system-x86_64)"},
	{"libvirt.call_timeout", "libvirt-timeout", 30 * time.Second, "how long one libvirt call or connection attempt may take before it fails (libvirtd frozen)"},
	{"libvirt.keepalive_interval", "libvirt-keepalive-interval", 5 * time.Second, "libvirt keepalive ping interval (0 turns keepalive off)"},
	{"libvirt.keepalive_count", "libvirt-keepalive-count", 3, "unanswered keepalive pings after which the libvirt connection is closed"},
	{"vm.managed_dirs", "managed-dirs", "/var/lib/libvirt/qemu", "comma-separated directories under which the agent may create or remove host paths a command names (the guest-agent channel socket); others are refused"},
	{"vm.graceful_stop_wait", "graceful-stop-wait", 60 * time.Second, "how long a graceful stop sends ACPI shutdowns before destroying"},
	{"callback.timeout", "callback-timeout", 120 * time.Second, "timeout of one callback POST to the management node"},
	{"callback.retries", "callback-retries", 15, "callback POST tries on connection errors and 5xx"},
	{"http.body_limit", "body-limit", int64(16 << 20), "largest request body accepted, in bytes"},
	{"tasks.workers", "workers", 10, "async handlers running at once (kvmagent's POOLSIZE)"},
	{"tasks.host_workers", "host-workers", 4, "async host calls (ping, fact, capacity) running at once, in their own lane apart from VM work"},
	{"tasks.queue_limit", "queue-limit", 256, "async tasks waiting for a worker, per lane, before new ones are refused with 503"},
	{"tasks.limit", "task-limit", 4096, "task table size: queued, running and retained tasks"},
	{"tasks.retention", "task-retention", 10 * time.Minute, "how long a finished task's result answers a retried request with the same taskuuid"},
	{"callback.deadline", "callback-deadline", 10 * time.Minute, "how long one task's callback may be retried in all"},
	{"callback.concurrency", "callback-concurrency", 32, "callback POSTs in flight at once"},
	{"http.read_timeout", "read-timeout", 60 * time.Second, "time to read one whole request, body included"},
	{"http.idle_timeout", "idle-timeout", 60 * time.Second, "how long an idle keep-alive connection is kept"},
	{"shutdown.timeout", "shutdown-timeout", 5 * time.Minute, "how long a graceful shutdown waits for running tasks"},
	{"log.level", "log-level", "info", "debug, info, warn or error"},
	{"log.format", "log-format", "text", "text or json"},
}

// Config is the agent's typed configuration.
type Config struct {
	Listen     string
	LibvirtURI string

	LibvirtCallTimeout       time.Duration
	LibvirtKeepAliveInterval time.Duration
	LibvirtKeepAliveCount    int
	DomainType               string
	Arch                     string
	Emulator                 string

	ManagedDirs      []string
	GracefulStopWait time.Duration
	CallbackTimeout  time.Duration
	CallbackRetries  int
	BodyLimit        int64
	Workers          int
	HostWorkers      int
	QueueLimit       int
	TaskLimit        int
	CallbackDeadline time.Duration
	CallbackConc     int
	ReadTimeout      time.Duration
	IdleTimeout      time.Duration
	TaskRetention    time.Duration
	ShutdownTimeout  time.Duration
	LogLevel         string
	LogFormat        string
}

// all is the stock table followed by the extra ones, refusing a key, flag
// or environment name defined twice.
func all(extra [][]Setting) ([]Setting, error) {
	out := slices.Clone(settings)
	for _, e := range extra {
		out = append(out, e...)
	}
	seen := map[string]bool{}
	for _, s := range out {
		for _, name := range []string{"key " + s.Key, "flag --" + s.Flag, "environment " + s.Env()} {
			if seen[name] {
				return nil, fmt.Errorf("setting %s is defined twice", name)
			}
			seen[name] = true
		}
		switch s.Default.(type) {
		case string, int, int64, bool, time.Duration:
		default:
			return nil, fmt.Errorf("setting %s: default of unsupported type %T", s.Key, s.Default)
		}
	}
	return out, nil
}

// AddFlags defines --config and one flag per setting, the stock ones and
// then each extra table's.
func AddFlags(flags *pflag.FlagSet, extra ...[]Setting) error {
	table, err := all(extra)
	if err != nil {
		return err
	}
	flags.String("config", "", "YAML configuration file (default "+DefaultConfigFile+" if present)")
	for _, s := range table {
		switch v := s.Default.(type) {
		case string:
			flags.String(s.Flag, v, s.Help)
		case int:
			flags.Int(s.Flag, v, s.Help)
		case int64:
			flags.Int64(s.Flag, v, s.Help)
		case bool:
			flags.Bool(s.Flag, v, s.Help)
		case time.Duration:
			flags.Duration(s.Flag, v, s.Help)
		}
	}
	return nil
}

// LoadConfig layers the sources: defaults, the YAML file, STRATA_
// environment variables, then the flags the user actually set. flags must
// come from AddFlags with the same extra tables. The koanf holds every key,
// the extra ones included, for a downstream to read its own.
func LoadConfig(flagSet *pflag.FlagSet, environ []string, extra ...[]Setting) (Config, *koanf.Koanf, error) {
	table, err := all(extra)
	if err != nil {
		return Config{}, nil, err
	}
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
		return Config{}, nil, fmt.Errorf("load defaults: %w", err)
	}

	path, _ := flagSet.GetString("config")
	explicit := path != ""
	if !explicit {
		path = DefaultConfigFile
	}
	if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
		if explicit || !errors.Is(err, fs.ErrNotExist) {
			return Config{}, nil, fmt.Errorf("read config file %s: %w", path, err)
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
		return Config{}, nil, fmt.Errorf("read STRATA_ environment: %w", err)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Config{}, nil, fmt.Errorf("unknown environment variable(s) %s (see --help for the settings)", strings.Join(unknown, ", "))
	}

	flagValues := posflag.ProviderWithFlag(flagSet, ".", k, func(f *pflag.Flag) (string, any) {
		key, ok := byFlag[f.Name]
		if !ok || !f.Changed {
			return "", nil
		}
		return key, posflag.FlagVal(flagSet, f)
	})
	if err := k.Load(flagValues, nil); err != nil {
		return Config{}, nil, fmt.Errorf("read flags: %w", err)
	}
	cfg := fromKoanf(k)
	return cfg, k, cfg.Validate()
}

// DefaultConfig is the configuration of the stock settings' defaults.
func DefaultConfig() Config {
	k := koanf.New(".")
	defaults := map[string]any{}
	for _, s := range settings {
		defaults[s.Key] = s.Default
	}
	_ = k.Load(confmap.Provider(defaults, "."), nil) // a map of constants cannot fail
	return fromKoanf(k)
}

func fromKoanf(k *koanf.Koanf) Config {
	return Config{
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

// stringList reads a list setting written either as a YAML list or as one
// comma-separated string (flags and STRATA_ variables).
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

// Validate checks the values no type can: enumerations and lower bounds.
func (c Config) Validate() error {
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
	if c.LibvirtCallTimeout <= 0 {
		errs = append(errs, fmt.Errorf("libvirt.call_timeout: %s must be positive", c.LibvirtCallTimeout))
	}
	if c.LibvirtKeepAliveInterval < 0 || c.LibvirtKeepAliveCount < 1 {
		errs = append(errs, fmt.Errorf("libvirt.keepalive_interval %s / keepalive_count %d: the interval must not be negative and the count at least 1", c.LibvirtKeepAliveInterval, c.LibvirtKeepAliveCount))
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

// Logger is the agent's logger at the configured level and format.
func (c Config) Logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// PrintSettings writes the settings table for --help, the stock settings
// and then the extra ones.
func PrintSettings(w io.Writer, extra ...[]Setting) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KEY (YAML)\tFLAG\tENVIRONMENT\tDEFAULT\tMEANING")
	table := slices.Clone(settings)
	for _, e := range extra {
		table = append(table, e...)
	}
	for _, s := range table {
		fmt.Fprintf(tw, "  %s\t--%s\t%s\t%v\t%s\n", s.Key, s.Flag, s.Env(), s.Default, s.Help)
	}
	tw.Flush()
}
