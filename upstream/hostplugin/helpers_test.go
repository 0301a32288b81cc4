package hostplugin

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/linux"
	"github.com/strataagent/strata/upstream/shell"
	"github.com/strataagent/strata/upstream/virtconn"
)

// fakeIptables answers `iptables -w -C …` with checkRC and `iptables -w …`
// with addRC, and records every argv.
type fakeIptables struct {
	mu      sync.Mutex
	calls   [][]string
	checkRC int
	addRC   int
	err     error
}

func (f *fakeIptables) Run(ctx context.Context, argv ...string) (shell.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, argv)
	if f.err != nil {
		return shell.Result{ExitCode: -1}, f.err
	}
	for _, a := range argv {
		if a == "-C" {
			return shell.Result{ExitCode: f.checkRC, Stderr: "iptables: Bad rule"}, nil
		}
	}
	return shell.Result{ExitCode: f.addRC, Stderr: "iptables: No chain/target/match by that name."}, nil
}

func (f *fakeIptables) joined() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = strings.Join(c, " ")
	}
	return out
}

const cpuinfoVMX = `processor	: 0
cpu MHz		: 2100.000
physical id	: 0
flags		: fpu vme vmx

processor	: 1
cpu MHz		: 2100.000
physical id	: 1
flags		: fpu vme vmx
`

const cpuinfoNoHVM = `processor	: 0
cpu MHz		: 1999.9
flags		: fpu vme
`

// fixtureSystem writes a /proc with cpuinfo and a 4 GiB meminfo.
func fixtureSystem(t *testing.T, cpuinfo string) *linux.Root {
	t.Helper()
	r := &linux.Root{Proc: t.TempDir(), Sys: t.TempDir()}
	if err := os.WriteFile(filepath.Join(r.Proc, "cpuinfo"), []byte(cpuinfo), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Proc, "meminfo"), []byte("MemTotal:        4194304 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestPlugin returns a plugin over the libvirt test driver, fake iptables
// and a fixture /proc.
func newTestPlugin(t *testing.T, cfg Config) (*HostPlugin, *fakeIptables) {
	t.Helper()
	fake := &fakeIptables{checkRC: 1}
	if cfg.Runner == nil {
		cfg.Runner = fake
	}
	if cfg.System == nil {
		cfg.System = fixtureSystem(t, cpuinfoVMX)
	}
	conn := virtconn.New("test:///default", quietLogger())
	t.Cleanup(conn.Close)
	return New(cfg, conn, quietLogger()), fake
}

func request(path, body string) *kvmagent.Request {
	return &kvmagent.Request{Path: path, Body: []byte(body)}
}

// asJSON marshals a handler's reply and reads it back as a generic object.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}
