package agentex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/pflag"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/linux2"
	"github.com/strataagent/strata/overlay/config"
	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// Main is the strata-agent command: serve (default), render, layers, help.
// It returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	if len(args) > 0 && args[0] == "config" {
		return configMain(args[1:], stdout, stderr, environ)
	}
	if len(args) > 0 && args[0] == "doctor" {
		return doctorMain(args[1:], stdout, stderr, environ)
	}
	sub := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "render" || args[0] == "layers" || args[0] == "help") {
		sub, args = args[0], args[1:]
	}
	if sub == "help" {
		usage(stdout)
		return 0
	}
	flags := pflag.NewFlagSet("strata-agent "+sub, pflag.ContinueOnError)
	flags.SetOutput(io.Discard)
	if err := agent.AddFlags(flags, Settings()); err != nil {
		fmt.Fprintf(stderr, "strata-agent: %v\n", err)
		return 2
	}
	if sub == "layers" {
		flags.String("corpus", "", "layers only: warn for every declarative op that selects nothing, and every declared layer write no start command produces, over the start commands (*.json) under this directory")
	}
	if sub == "render" {
		flags.Bool("explain", false, "render only: list every changed path with the layer that changed it")
		flags.Bool("diff", false, "render only: unified diff of the stock XML against the ex XML")
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "strata-agent %s: %v (see strata-agent --help)\n", sub, err)
		return 2
	}
	snap, err := Load(flags, environ)
	if sub == "layers" {
		code := printLayers(stdout, snap, err)
		if dir, _ := flags.GetString("corpus"); dir != "" && err == nil {
			if cerr := printCoverage(stdout, snap, dir); cerr != nil {
				fmt.Fprintf(stderr, "strata-agent layers: %v\n", cerr)
				return 1
			}
			if cerr := printWriteCoverage(stdout, snap, dir); cerr != nil {
				fmt.Fprintf(stderr, "strata-agent layers: %v\n", cerr)
				return 1
			}
		}
		return code
	}
	if err != nil {
		fmt.Fprintf(stderr, "strata-agent: configuration: %v\n", err)
		return 2
	}
	switch sub {
	case "render":
		explain, _ := flags.GetBool("explain")
		diff, _ := flags.GetBool("diff")
		if err := Render(snap, flags.Args(), explain, diff, stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "strata-agent render: %v\n", err)
			return 1
		}
		return 0
	default:
		if flags.NArg() > 0 {
			fmt.Fprintf(stderr, "strata-agent: unexpected argument %q (see strata-agent --help)\n", flags.Arg(0))
			return 2
		}
		a, err := NewFromSnapshot(snap, Options{Options: agent.Options{Logger: snap.Stock.Logger(stderr)}})
		if err != nil {
			fmt.Fprintf(stderr, "strata-agent: %v\n", err)
			return 1
		}
		a.ReloadFrom(flags, environ)
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		a.HandleSIGHUP(ctx)
		if err := a.Serve(ctx); err != nil {
			fmt.Fprintf(stderr, "strata-agent: %v\n", err)
			return 1
		}
		return 0
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `strata-agent: the stock KVM host agent with strata's overlay, in one process.

Usage:
  strata-agent [serve] [flags]          run the agent: the stock API on listen (:7070; its /vm/reboot
                                        is the overlay's fix) and /ex/vm/start plus every stock VM and
                                        host URI again under /ex/ on ex.listen (:7071); one libvirt
                                        connection, one set of per-VM locks. SIGHUP reloads
                                        layers.declarative from the configuration file (an invalid
                                        one is refused and logged; the current layers stay).
  strata-agent render [--explain] [--diff] [flags] [FILE]
                                        print the domain XML a StartVmExCmd JSON (FILE, or standard
                                        input) produces through the layers; offline: no libvirt, no
                                        host capacity checks (pinning and hugepages are not checked
                                        against this machine). --explain lists every changed path with
                                        its layer and how (set, added, removed); --diff prints the
                                        stock XML against the ex XML as a unified diff.
  strata-agent layers [flags]           the effective layer order, each layer's reads, writes and
                                        overrides, and the result of validating the configuration;
                                        exit 1 when it is invalid.
  strata-agent config default           a complete commented YAML file of every setting's default
  strata-agent config dump [flags]      the effective configuration (as --config, STRATA_ and flags
                                        make it), secrets masked; the admin listener's /config
  strata-agent doctor [flags]           preflight of this host: one PASS/WARN/FAIL line per check
                                        with the fix; exit 0 (all pass), 1 (a warning), 2 (a failure)
  strata-agent version | --version      module version, VCS revision, Go version, upstream release
  strata-agent help | --help            this text

Admin listener (admin.listen, 127.0.0.1:7072 by default; admin.enabled=false turns it off):
  GET /livez, /readyz[?verbose], /metrics, /debug/pprof/, /config; POST /reload (answers with the
  new generation and what changed, or the refusal). Never on the management node's ports.

Configuration, lowest precedence first: built-in defaults, the YAML file (--config, else
/etc/strata/agent.yaml when it exists), STRATA_ environment variables, then flags. A bad
configuration stops the agent, naming the file, line and key.

Flags:
  --config FILE                         YAML configuration file
  --explain, --diff                     render only (above)

Settings:
`)
	agent.PrintSettings(w, Settings())
	fmt.Fprint(w, `
Example YAML:
  listen: 0.0.0.0:7070
  libvirt:
    uri: qemu:///system
  ex:
    listen: 0.0.0.0:7071
  layers:
    conflict_policy: fail
    qemu_args:
      allow: ["-global kvm-pit\\.lost_tick_policy=(delay|discard)"]
    declarative:
      - name: data-disk-native-io
        after: disk-tuning
        select: {name: "web-*"}
        ops:
          - path: devices/disk/driver
            match: target.dev=vdb
            set: {io: native}
`)
}

// printLayers is the layers subcommand: the order of the configuration
// as loaded (the Go order alone when it did not load) and its validation.
func printLayers(w io.Writer, snap *config.Snapshot, err error) int {
	order, policy := goOrder(), layer.PolicyFail
	var overlaps []layer.Overlap
	if snap != nil {
		order, overlaps, policy = snap.Order, snap.Overlaps, snap.Layer.ConflictPolicy
	}
	fmt.Fprintln(w, "layer order:")
	for i, l := range order {
		kind := "go"
		if strings.HasPrefix(l.Doc, "declarative") || !isGoLayer(l.Name) {
			kind = "declarative"
		}
		fmt.Fprintf(w, "%2d. %s (%s)\n", i+1, l.Name, kind)
		if s, _, _ := strings.Cut(l.Doc, "\n"); s != "" {
			fmt.Fprintf(w, "    %s\n", s)
		}
		fmt.Fprintf(w, "    reads:     %s\n", listOrNone(l.Reads))
		fmt.Fprintf(w, "    writes:    %s\n", listOrNone(l.Writes))
		if len(l.Overrides) > 0 {
			fmt.Fprintf(w, "    overrides: %s\n", strings.Join(l.Overrides, ", "))
		}
	}
	for _, c := range overlaps {
		fmt.Fprintf(w, "declared overlap (checked per request, policy %s): %s\n", policy, c.Error())
	}
	if err != nil {
		fmt.Fprintf(w, "configuration: INVALID\n%v\n", err)
		return 1
	}
	fmt.Fprintln(w, "configuration: valid")
	return 0
}

// printCoverage warns for every declarative op that selects nothing in
// any start command under dir: a match that fits no VM the management node
// sends (a typo, or a release that changed the stock XML) is a no-op.
func printCoverage(w io.Writer, snap *config.Snapshot, dir string) error {
	files, err := readCorpus(dir)
	if err != nil {
		return err
	}
	target := OfflineTarget(snap.Stock)
	var cmds []*excmd.StartVmExCmd
	for _, f := range files {
		cmd, err := excmd.Decode(f.body)
		if err != nil {
			fmt.Fprintf(w, "corpus: %s: skipped: %v\n", f.path, err)
			continue
		}
		// The tags block is what declarative selectors read of ex.
		if err := layer.DecodeEx(cmd, snap.Order, &layer.Check{Config: snap.Layer}); err != nil {
			fmt.Fprintf(w, "corpus: %s: skipped: %v\n", f.path, err)
			continue
		}
		cmds = append(cmds, cmd)
	}
	stock := func(cmd *excmd.StartVmExCmd) (*libvirtxml.Domain, error) {
		return vmplugin.Build(context.Background(), &cmd.StartVmCmd, target.Config, target.Host)
	}
	sel, err := declarative.Coverage(snap.Declarative, cmds, stock)
	if err != nil {
		return err
	}
	warned := 0
	for _, s := range sel {
		if s.Selected == 0 {
			warned++
			fmt.Fprintf(w, "warning: %s (%s, layer %s) selects nothing in any of the %d commands under %s (its VM selector picks %d)\n",
				s.Key, s.Summary, s.Entry, len(cmds), dir, s.Commands)
		}
	}
	fmt.Fprintf(w, "corpus: %d commands, %d ops, %d select nothing\n", len(cmds), len(sel), warned)
	return nil
}

// corpusFile is one start command of a corpus directory.
type corpusFile struct {
	path string
	body []byte
}

// readCorpus reads the start commands under dir: every *.json but the
// per-case *.config.json beside them.
func readCorpus(dir string) ([]corpusFile, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", dir, err)
	}
	var out []corpusFile
	for _, f := range files {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		out = append(out, corpusFile{f, body})
	}
	return out, nil
}

func isGoLayer(name string) bool {
	for _, l := range goOrder() {
		if l.Name == name {
			return true
		}
	}
	return false
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

// Render prints what /ex/vm/start would define for a StartVmExCmd: the
// same start.Run the live handler calls, on the Offline target (no
// libvirt, no host side effect).
func Render(snap *config.Snapshot, args []string, explain, diff bool, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("takes at most one file, got %d", len(args))
	}
	in, name := stdin, "standard input"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("open command: %w", err)
		}
		defer f.Close()
		in, name = f, args[0]
	}
	data, err := io.ReadAll(io.LimitReader(in, snap.Stock.BodyLimit+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > snap.Stock.BodyLimit {
		return fmt.Errorf("%s: more than http.body_limit (%d bytes)", name, snap.Stock.BodyLimit)
	}
	res, err := start.Run(context.Background(), data, start.Layers{Order: snap.Order, Config: snap.Layer},
		OfflineTarget(snap.Stock), start.Options{KeepStock: diff, Explain: explain})
	if err != nil {
		if start.Refused(err) {
			return fmt.Errorf("%s: %w", name, err)
		}
		return err
	}
	switch {
	case diff:
		d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(res.StockXML + "\n"), B: difflib.SplitLines(res.FinalXML + "\n"),
			FromFile: "stock", ToFile: "ex", Context: 3,
		})
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, d)
		return err
	case explain:
		_, err = io.WriteString(stdout, res.Explain())
		return err
	}
	_, err = fmt.Fprintln(stdout, res.FinalXML)
	return err
}

// OfflineTarget is render's start.Target for the stock configuration cfg.
func OfflineTarget(cfg agent.Config) start.Offline {
	return start.Offline{
		Config: vmplugin.Config{DomainType: cfg.DomainType, Arch: cfg.Arch},
		Host:   renderBuildHost{emulator: cfg.Emulator},
		Layer:  RenderHost{},
	}
}

type renderBuildHost struct {
	vmplugin.OfflineHost
	emulator string
}

func (h renderBuildHost) QemuPath() (string, error) {
	if h.emulator != "" {
		return h.emulator, nil
	}
	return h.OfflineHost.QemuPath()
}

// RenderHost answers the layers offline: every CPU id online, no hugepage
// shortage, /dev/vhost-net present, and the firmware this machine's OVMF
// descriptors name (else Debian's ovmf paths), so render shows what a
// command asks for without judging it against this machine.
type RenderHost struct{}

func (RenderHost) OnlineCPUs() ([]int, error) {
	cpus := make([]int, 4096)
	for i := range cpus {
		cpus[i] = i
	}
	return cpus, nil
}

func (RenderHost) FreeHugepages(uint64) (uint64, error) { return math.MaxUint64 / 2, nil }

func (RenderHost) OVMF(secure bool) (string, string, error) {
	if code, vars, err := linux2.NewHost().OVMF(secure); err == nil {
		return code, vars, nil
	}
	if secure {
		return "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", nil
	}
	return "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", nil
}

func (RenderHost) HasVhostNet() bool { return true }

var _ layer.Host = RenderHost{}
