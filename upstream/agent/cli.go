package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

// Main is the kvmagent command: serve (default), render, help. It returns
// the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	sub := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "render" || args[0] == "help") {
		sub, args = args[0], args[1:]
	}
	if sub == "help" {
		usage(stdout)
		return 0
	}
	flags := pflag.NewFlagSet("kvmagent "+sub, pflag.ContinueOnError)
	flags.SetOutput(io.Discard)
	if err := AddFlags(flags); err != nil {
		fmt.Fprintf(stderr, "kvmagent: %v\n", err)
		return 2
	}
	if sub == "render" {
		flags.String("image-format", "auto", "render only: image format for file volumes: auto (qemu-img when the file exists, else by extension), raw or qcow2")
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "kvmagent %s: %v (see kvmagent --help)\n", sub, err)
		return 2
	}
	cfg, _, err := LoadConfig(flags, environ)
	if err != nil {
		fmt.Fprintf(stderr, "kvmagent: configuration: %v\n", err)
		return 2
	}
	switch sub {
	case "render":
		imgFmt, _ := flags.GetString("image-format")
		if err := Render(cfg, flags.Args(), imgFmt, stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "kvmagent render: %v\n", err)
			return 1
		}
		return 0
	default:
		if flags.NArg() > 0 {
			fmt.Fprintf(stderr, "kvmagent: unexpected argument %q (see kvmagent --help)\n", flags.Arg(0))
			return 2
		}
		if err := serve(cfg, stderr); err != nil {
			fmt.Fprintf(stderr, "kvmagent: %v\n", err)
			return 1
		}
		return 0
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `kvmagent: strata's stock KVM host agent (a Go port of zstack-utility's kvmagent).

Usage:
  kvmagent [serve] [flags]         run the agent: the stock vm_plugin and host_plugin API
                                   (async /vm/start, /vm/stop, ... with callbacks; sync /host/connect, /host/echo)
  kvmagent render [flags] [FILE]   print the libvirt domain XML that a StartVmCmd JSON (FILE, or standard
                                   input when FILE is absent or "-") produces; touches neither libvirt nor the host
  kvmagent help | --help           this text

Configuration, lowest precedence first: built-in defaults, the YAML file (--config, else
/etc/strata/agent.yaml when it exists), STRATA_ environment variables, then flags.

Flags:
  --config FILE                    YAML configuration file
  --image-format auto|raw|qcow2    render only: how file volumes' image format is found (default auto)

Settings:
`)
	PrintSettings(w)
	fmt.Fprint(w, `
Example YAML:
  listen: 0.0.0.0:7070
  libvirt:
    uri: qemu:///system
  vm:
    domain_type: kvm
  log:
    level: debug
`)
}

// serve runs the stock agent until SIGINT or SIGTERM, then shuts down
// gracefully: running tasks finish and call back first.
func serve(cfg Config, logw io.Writer) error {
	a, err := New(cfg, Options{Logger: cfg.Logger(logw)})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return a.Serve(ctx)
}
