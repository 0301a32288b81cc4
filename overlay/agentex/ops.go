package agentex

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/strataagent/strata/overlay/admin"
	"github.com/strataagent/strata/overlay/authn"
	"github.com/strataagent/strata/overlay/buildinfo"
	"github.com/strataagent/strata/overlay/config"
	"github.com/strataagent/strata/overlay/configyaml"
	"github.com/strataagent/strata/overlay/doctor"
	"github.com/strataagent/strata/overlay/metrics"
	"github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

// Port roles, as metrics and logs name them.
const (
	PortStock = "stock"
	PortEx    = "ex"
	PortAdmin = "admin"
)

// opsSettings are the admin listener's settings (in Settings).
func opsSettings() []agent.Setting {
	out := []agent.Setting{
		{Key: "admin.enabled", Flag: "admin-enabled", Default: true, Help: "serve the admin listener: /livez, /readyz, /metrics, /debug/pprof/, /config, POST /reload"},
		{Key: "admin.listen", Flag: "admin-listen", Default: "127.0.0.1:7072", Help: "address of the admin listener (loopback by default: not for the management node); elsewhere it needs auth.admin"},
	}
	for _, port := range []string{PortStock, PortEx, PortAdmin} {
		out = append(out,
			agent.Setting{Key: "auth." + port + ".token_file", Flag: "auth-" + port + "-token-file", Default: "",
				Help: "file holding the bearer token every request to the " + port + " port must send (off by default: a stock management node sends none)"},
			agent.Setting{Key: "auth." + port + ".cert_file", Flag: "auth-" + port + "-cert-file", Default: "",
				Help: "TLS certificate (PEM) of the " + port + " port; with key_file the port speaks TLS (off by default)"},
			agent.Setting{Key: "auth." + port + ".key_file", Flag: "auth-" + port + "-key-file", Default: "",
				Help: "TLS private key (PEM) of the " + port + " port"},
			agent.Setting{Key: "auth." + port + ".client_ca_file", Flag: "auth-" + port + "-client-ca-file", Default: "",
				Help: "CA bundle (PEM) client certificates must chain to: mutual TLS on the " + port + " port (off by default)"},
		)
	}
	return out
}

// AdminConfig is the admin listener's part of the configuration. The zero
// value (an agentex.Config built in code) has it off.
type AdminConfig struct {
	Enabled bool
	Listen  string
	// Auth is each port's authentication (PortStock, PortEx, PortAdmin); off when absent.
	Auth map[string]authn.Config
}

func adminConfig(k *koanf.Koanf) AdminConfig {
	ac := AdminConfig{Enabled: k.Bool("admin.enabled"), Listen: k.String("admin.listen"), Auth: map[string]authn.Config{}}
	for _, port := range []string{PortStock, PortEx, PortAdmin} {
		ac.Auth[port] = authn.Config{
			TokenFile: k.String("auth." + port + ".token_file"), CertFile: k.String("auth." + port + ".cert_file"),
			KeyFile: k.String("auth." + port + ".key_file"), ClientCAFile: k.String("auth." + port + ".client_ca_file"),
		}
	}
	return ac
}

// loadAuth reads each port's authentication files, and refuses an admin
// listener off loopback without authentication of its own.
func loadAuth(ex Config) (map[string]*authn.Auth, error) {
	auth := map[string]*authn.Auth{}
	for port, c := range ex.Admin.Auth {
		au, err := authn.Load(c)
		if err != nil {
			return nil, fmt.Errorf("auth.%s: %w", port, err)
		}
		auth[port] = au
	}
	if ex.Admin.Enabled && !authn.IsLoopback(ex.Admin.Listen) && !ex.Admin.Auth[PortAdmin].Enabled() {
		return nil, fmt.Errorf("admin.listen %s is not loopback: set auth.admin.token_file or auth.admin.client_ca_file, or listen on 127.0.0.1", ex.Admin.Listen)
	}
	return auth, nil
}

// Metrics is the agent's Prometheus collectors.
func (a *Agent) Metrics() *metrics.Metrics { return a.metrics }

// instrument counts srv's requests under port; call before registering.
func (a *Agent) instrument(srv *kvmagent.Server, port string) {
	a.metrics.Instrument(srv.Engine(), port)
	if au := a.auth[port]; au != nil {
		srv.Engine().Use(au.Gin())
	}
}

// learnLanes tells the metrics each async path's lane; call after registering.
func (a *Agent) learnLanes(srv *kvmagent.Server, port string) {
	m := map[string]string{}
	for _, r := range srv.Routes() {
		if r.Async {
			m[r.Path], m[r.Path+"/"] = r.Lane, r.Lane
		}
	}
	a.metrics.Lanes(port, m)
}

// ReadyChecks are /readyz's checks.
func (a *Agent) ReadyChecks() []admin.Check {
	return []admin.Check{
		{Name: "libvirt", Check: func() error {
			st := a.Conn().State()
			if st.Status == virtconn.StatusUp {
				return nil
			}
			if st.Err != nil {
				return fmt.Errorf("%s %s since %s: %w", st.URI, st.Status, st.Since.Format(time.RFC3339), st.Err)
			}
			return fmt.Errorf("%s %s", st.URI, st.Status)
		}},
		{Name: "config", Check: func() error {
			if a.snap.Load() == nil {
				return errors.New("no configuration loaded")
			}
			return nil
		}},
		{Name: "layers", Check: func() error {
			if g := a.snap.Load().Generation; g < 1 {
				return fmt.Errorf("layer generation %d", g)
			}
			return nil
		}},
	}
}

// ConfigDump is the effective configuration, secrets masked: /config and
// `strata-agent config dump`.
func (a *Agent) ConfigDump() (string, error) {
	if a.ex.koanf == nil {
		return "", errors.New("configuration was built in code, not loaded: nothing to dump")
	}
	var b bytes.Buffer
	err := configyaml.Dump(&b, a.ex.koanf, a.ex.File, Settings())
	return b.String(), err
}

// ReloadNow is POST /reload: Reload, answered with the generation and the
// declarative layers added, removed or changed.
func (a *Agent) ReloadNow() admin.ReloadResult {
	ch, err := a.reloadCounted()
	res := admin.ReloadResult{Applied: err == nil, Generation: a.snap.Load().Generation}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Added, res.Removed, res.Changed = ch.Added, ch.Removed, ch.Changed
	return res
}

// adminServer is the admin listener's http.Server (nil when off).
func (a *Agent) adminServer() *http.Server {
	h := admin.Handler(admin.Options{
		Ready: a.ReadyChecks(), Registry: a.metrics.Registry(), Config: a.ConfigDump, Reload: a.ReloadNow,
		Logger: a.log.With(metrics.PortAttr, PortAdmin),
	})
	if au := a.auth[PortAdmin]; au != nil {
		h = au.Handler(h)
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
}

// listenAdmin binds admin.listen when the admin listener is on.
func (a *Agent) listenAdmin() error {
	if !a.ex.Admin.Enabled || a.adminL != nil {
		return nil
	}
	l, err := net.Listen("tcp", a.ex.Admin.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (admin.listen): %w", a.ex.Admin.Listen, err)
	}
	a.adminL = a.auth[PortAdmin].Listener(l)
	return nil
}

// AdminAddr is the admin listener's address once bound (nil when off).
func (a *Agent) AdminAddr() net.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.adminL == nil {
		return nil
	}
	return a.adminL.Addr()
}

// reload is Reload, counted in the metrics.
func (a *Agent) reload() error {
	_, err := a.reloadCounted()
	return err
}

func (a *Agent) reloadCounted() (config.Changes, error) {
	ch, err := a.ReloadChanges()
	a.metrics.Reload(err, a.snap.Load().Generation)
	return ch, err
}

// logStart is the one start line: configuration file, each address with
// its role, libvirt URI, upstream release and layer order.
func (a *Agent) logStart() {
	addr := func(l net.Listener) string {
		if l == nil {
			return "off"
		}
		return l.Addr().String()
	}
	file := a.ex.File
	if file == "" {
		file = "none"
	}
	var order []string
	for _, l := range a.snap.Load().Order {
		order = append(order, l.Name)
	}
	a.log.Info("strata-agent starting", "config", file,
		"stock", addr(a.stockL), "ex", addr(a.exL), "admin", addr(a.adminL),
		"libvirt", a.cfg.LibvirtURI, "upstream", buildinfo.UpstreamName+" "+buildinfo.UpstreamRelease,
		"version", buildinfo.Read("strata-agent").Version,
		"generation", a.snap.Load().Generation, "layers", strings.Join(order, ","))
}

// serveAdmin serves the admin listener, if bound, until the returned stop runs.
func (a *Agent) serveAdmin() (stop func()) {
	if a.adminL == nil {
		return func() {}
	}
	srv := a.adminServer()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(a.adminL); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("admin listener failed", "addr", a.adminL.Addr().String(), "err", err)
		}
	}()
	return func() {
		_ = srv.Close()
		<-done
		a.log.Info("stopping: admin listener closed")
	}
}

// configMain is `strata-agent config default|dump`.
func configMain(args []string, stdout, stderr io.Writer, environ []string) int {
	if len(args) == 0 || (args[0] != "default" && args[0] != "dump") {
		fmt.Fprintln(stderr, "strata-agent config: default or dump (see strata-agent --help)")
		return 2
	}
	if args[0] == "default" {
		if len(args) > 1 {
			fmt.Fprintln(stderr, "strata-agent config default: takes no arguments")
			return 2
		}
		if err := configyaml.Default(stdout, Settings()); err != nil {
			fmt.Fprintf(stderr, "strata-agent config default: %v\n", err)
			return 1
		}
		return 0
	}
	flags, code := parseFlags("config dump", args[1:], stderr)
	if flags == nil {
		return code
	}
	_, ex, err := LoadConfig(flags, environ)
	if err != nil {
		fmt.Fprintf(stderr, "strata-agent: configuration: %v\n", err)
		return 2
	}
	if err := configyaml.Dump(stdout, ex.koanf, ex.File, Settings()); err != nil {
		fmt.Fprintf(stderr, "strata-agent config dump: %v\n", err)
		return 1
	}
	return 0
}

// parseFlags parses the settings' flags for sub; nil and an exit code on error.
func parseFlags(sub string, args []string, stderr io.Writer) (*pflag.FlagSet, int) {
	flags := pflag.NewFlagSet("strata-agent "+sub, pflag.ContinueOnError)
	flags.SetOutput(io.Discard)
	if err := agent.AddFlags(flags, Settings()); err != nil {
		fmt.Fprintf(stderr, "strata-agent: %v\n", err)
		return nil, 2
	}
	if err := flags.Parse(args); err != nil {
		fmt.Fprintf(stderr, "strata-agent %s: %v (see strata-agent --help)\n", sub, err)
		return nil, 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "strata-agent %s: unexpected argument %q\n", sub, flags.Arg(0))
		return nil, 2
	}
	return flags, 0
}

// doctorMain is `strata-agent doctor`.
func doctorMain(args []string, stdout, stderr io.Writer, environ []string) int {
	flags, code := parseFlags("doctor", args, stderr)
	if flags == nil {
		return code
	}
	cfg, ex, err := LoadConfig(flags, environ)
	if err != nil {
		fmt.Fprintf(stderr, "strata-agent: configuration: %v\n", err)
		return 2
	}
	return int(doctor.Run(stdout, doctorConfig(cfg, ex), doctor.System()))
}

// doctorConfig is what doctor checks for this configuration: the bridges
// are those a declarative layer sets (a "bridge" property under
// devices/interface); the ports are the enabled listeners.
func doctorConfig(cfg agent.Config, ex Config) doctor.Config {
	dc := doctor.Config{LibvirtURI: cfg.LibvirtURI, Timeout: cfg.LibvirtCallTimeout, DomainType: cfg.DomainType,
		Emulator: cfg.Emulator, ManagedDirs: cfg.ManagedDirs, NVRAMDir: ex.Layer.NVRAMDir}
	seen := map[string]bool{}
	for _, e := range ex.Declarative {
		for _, op := range e.Ops {
			for _, m := range []map[string]string{op.Set, op.Create} {
				for k, v := range m {
					if strings.HasSuffix(k, "bridge") && v != "" && !seen[v] {
						seen[v] = true
						dc.Bridges = append(dc.Bridges, v)
					}
				}
			}
		}
	}
	slices.Sort(dc.Bridges)
	if ex.StockEnabled {
		dc.Ports = append(dc.Ports, doctor.Port{Role: PortStock, Addr: cfg.Listen})
	}
	if ex.ExEnabled {
		dc.Ports = append(dc.Ports, doctor.Port{Role: PortEx, Addr: ex.ExListen})
	}
	if ex.Admin.Enabled {
		dc.Ports = append(dc.Ports, doctor.Port{Role: PortAdmin, Addr: ex.Admin.Listen})
	}
	return dc
}
