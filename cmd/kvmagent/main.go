// Command kvmagent is strata's stock agent: the Go port of zstack-utility's
// kvmagent (vm_plugin and host_plugin) on port 7070.
//
//	kvmagent [serve] [flags]        run the agent
//	kvmagent render [flags] [FILE]  print the domain XML a StartVmCmd produces
//	kvmagent help                   this text and every setting
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
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
	addFlags(flags)
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
	cfg, err := loadConfig(flags, environ)
	if err != nil {
		fmt.Fprintf(stderr, "kvmagent: configuration: %v\n", err)
		return 2
	}
	switch sub {
	case "render":
		imgFmt, _ := flags.GetString("image-format")
		if err := render(cfg, flags.Args(), imgFmt, stdin, stdout); err != nil {
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
	printSettings(w)
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
