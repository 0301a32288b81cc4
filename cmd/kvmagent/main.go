// Command kvmagent is strata's stock agent: the Go port of zstack-utility's
// kvmagent (vm_plugin and host_plugin) on port 7070. Its composition is the
// vendor's, in upstream/agent.
//
//	kvmagent [serve] [flags]        run the agent
//	kvmagent render [flags] [FILE]  print the domain XML a StartVmCmd produces
//	kvmagent help                   this text and every setting
//	kvmagent version | --version    module version, VCS revision, Go version, upstream release
package main

import (
	"io"
	"os"

	"github.com/strataagent/strata/overlay/buildinfo"
	"github.com/strataagent/strata/upstream/agent"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	if buildinfo.IsVersionArg(args) {
		buildinfo.Print(stdout, "kvmagent")
		return 0
	}
	return agent.Main(args, stdin, stdout, stderr, environ)
}
