// Command strata-agent is the overlay agent: the stock API on :7070 and the
// extended one under /ex/ on :7071, in one process. Its composition is in
// overlay/agentex.
//
//	strata-agent [serve] [flags]                 run the agent
//	strata-agent render [--explain] [--diff] F   the domain XML a StartVmExCmd produces
//	strata-agent layers                          the layer order and the config's validity
//	strata-agent help                            this and every setting
//	strata-agent version | --version             module version, VCS revision, Go version, upstream release
package main

import (
	"os"

	"github.com/strataagent/strata/overlay/agentex"
	"github.com/strataagent/strata/overlay/buildinfo"
)

func main() {
	if buildinfo.IsVersionArg(os.Args[1:]) {
		buildinfo.Print(os.Stdout, "strata-agent")
		return
	}
	os.Exit(agentex.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}
