// Package buildinfo is what `--version` prints for all three binaries: the
// module version and VCS revision from the Go build information, the Go
// version, and the upstream release that upstream/UPSTREAM records.
//
// upstream/ is vendor code, edited only by `strata import`, and go:embed
// cannot reach a file outside this package's directory, so the release is
// copied into upstream_release.go by `go generate` (gen.go reads
// upstream/UPSTREAM). TestUpstreamReleaseCurrent fails when the copy and
// the file differ, so a new import cannot ship with a stale version.
package buildinfo

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

//go:generate go run gen.go

// Info is one binary's version.
type Info struct {
	Binary          string `json:"binary"`
	Module          string `json:"module"`
	Version         string `json:"version"`  // module version, "(devel)" for a build from a work tree
	Revision        string `json:"revision"` // VCS revision, "" when the build had none (go test, go run of a file)
	Modified        bool   `json:"modified"` // the work tree had uncommitted changes
	GoVersion       string `json:"goVersion"`
	UpstreamName    string `json:"upstreamName"`
	UpstreamRelease string `json:"upstreamRelease"` // upstream/UPSTREAM's version line
}

// Read is the running binary's Info.
func Read(binary string) Info {
	in := Info{Binary: binary, GoVersion: runtime.Version(), UpstreamName: UpstreamName, UpstreamRelease: UpstreamRelease,
		Module: "github.com/strataagent/strata", Version: "(unknown)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	if bi.Main.Path != "" {
		in.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		in.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the one-line form.
func (in Info) String() string {
	rev := in.Revision
	if rev == "" {
		rev = "unknown"
	} else if in.Modified {
		rev += "-dirty"
	}
	return fmt.Sprintf("%s %s (%s revision %s) %s, upstream %s %s",
		in.Binary, in.Version, in.Module, rev, in.GoVersion, in.UpstreamName, in.UpstreamRelease)
}

// IsVersionArg says whether args ask for the version: `version`, `--version` or `-version` first.
func IsVersionArg(args []string) bool {
	return len(args) > 0 && (args[0] == "version" || args[0] == "--version" || args[0] == "-version")
}

// Print writes the version of binary to w.
func Print(w io.Writer, binary string) {
	fmt.Fprintln(w, Read(binary).String())
}
