package hostplugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/linux"
	"github.com/strataagent/strata/upstream/shell"
	"github.com/strataagent/strata/upstream/virtconn"
)

// The plugin's URIs (HostPlugin.*_PATH).
const (
	ConnectPath  = "/host/connect"
	EchoPath     = "/host/echo"
	PingPath     = "/host/ping"
	CapacityPath = "/host/capacity"
	FactPath     = "/host/fact"
)

// Arch values for Config.Arch (kvmagent's IS_AARCH64 test of platform.machine()).
const (
	ArchX86_64  = "x86_64"
	ArchAarch64 = "aarch64"
)

// CommandRunner runs one program and reports its exit code
// (shell.Runner.Run). Tests swap it to fake iptables.
type CommandRunner interface {
	Run(ctx context.Context, argv ...string) (shell.Result, error)
}

// Config is what the plugin takes from the agent's configuration.
type Config struct {
	QemuPath string        // the emulator whose version connect reports; "" = kvmagent.get_qemu_path's search
	Arch     string        // ArchX86_64 or ArchAarch64; "" = this machine's
	Runner   CommandRunner // runs iptables; nil = shell.Runner{}
	System   *linux.Root   // where /proc and /sys are; nil = linux.System()
}

// HostPlugin is host_plugin.HostPlugin. Its handlers are exported methods so
// that a wrapper can call or replace one of them.
type HostPlugin struct {
	cfg  Config
	conn *virtconn.Conn
	log  *slog.Logger

	mu             sync.RWMutex
	hostUUID       string
	sendCommandURL string

	iptablesMu sync.Mutex // one rule set at a time, as the seed's file lock

	versionsMu     sync.Mutex
	libvirtVersion string
	qemuVersion    string
}

// New builds the plugin; conn is the agent's shared libvirt connection.
func New(cfg Config, conn *virtconn.Conn, logger *slog.Logger) *HostPlugin {
	if cfg.Arch == "" {
		cfg.Arch = machineArch()
	}
	if cfg.Runner == nil {
		cfg.Runner = shell.Runner{}
	}
	if cfg.System == nil {
		sys := linux.System()
		cfg.System = &sys
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &HostPlugin{cfg: cfg, conn: conn, log: logger}
}

func machineArch() string {
	if runtime.GOARCH == "arm64" {
		return ArchAarch64
	}
	return ArchX86_64
}

// Start registers the plugin's URIs. Unlike the seed it does not read the
// libvirt and qemu versions here: they are read on first use, so the agent
// starts on a host where they are not installed yet and connect says why.
func (p *HostPlugin) Start(s *kvmagent.Server) error {
	if s == nil {
		return errors.New("hostplugin: nil server")
	}
	// Host calls run in their own lane: a ping must never wait behind VM work.
	s.RegisterSyncURI(ConnectPath, p.Connect)
	s.RegisterSyncURI(EchoPath, p.Echo)
	s.RegisterAsyncURI(PingPath, p.Ping, kvmagent.InLane(kvmagent.LaneHost))
	s.RegisterAsyncURI(CapacityPath, p.Capacity, kvmagent.InLane(kvmagent.LaneHost))
	s.RegisterAsyncURI(FactPath, p.Fact, kvmagent.InLane(kvmagent.LaneHost))
	return nil
}

// Stop releases nothing: the libvirt connection belongs to the agent.
func (p *HostPlugin) Stop() error { return nil }

// HostUUID is the uuid the management node gave in its last connect, or ""
// before the first one.
func (p *HostPlugin) HostUUID() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.hostUUID
}

// SendCommandURL is where agent → management node messages go
// (/kvm/reportvmstate, /kvm/reconnectme), or "" before the first connect.
func (p *HostPlugin) SendCommandURL() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.sendCommandURL
}

// libvirtAnswers makes one cheap libvirt call, so connect and fact, which
// the management node sends when it (re)connects, fail during a libvirt
// outage instead of accepting a host that cannot start VMs. The call also
// reopens the connection when libvirt is back. The error names the URI,
// since when libvirt is unavailable and libvirt's own words.
func (p *HostPlugin) libvirtAnswers() error {
	if p.conn == nil {
		return errors.New("no libvirt connection")
	}
	_, err := virtconn.Call(p.conn, func(c *libvirt.Connect) (uint32, error) { return c.GetLibVersion() })
	if err == nil {
		return nil
	}
	if uerr := p.conn.Err(); uerr != nil {
		return uerr
	}
	return fmt.Errorf("libvirt at %s: %w", p.conn.URI(), err)
}
