// Command strata is the release-merge tool: it reads a new upstream release
// against everything the overlay touches and names each conflict before
// anyone merges. `strata --help` lists the commands, flags and exit codes.
package main

import (
	"os"

	"github.com/strataagent/strata/overlay/buildinfo"
	"github.com/strataagent/strata/tools/cli"
)

func main() {
	if buildinfo.IsVersionArg(os.Args[1:]) { // strata version | --version
		buildinfo.Print(os.Stdout, "strata")
		return
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
