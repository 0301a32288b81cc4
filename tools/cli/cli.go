// Package cli is cmd/strata: argument parsing and the commands, over the
// tools library. Every command runs from the repository root.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/refresh"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/report"
	"github.com/strataagent/strata/tools/touchpoints"
)

// Exit codes.
const (
	ExitClean     = 0
	ExitConflicts = 1
	ExitError     = 2
)

const usage = `strata: the release-merge tool (run from the repository root,
whose strata.yaml names the upstream folder, the overlay folders, the lock
and the stock corpus)

Commands:
  strata touchpoints [--json]
      every touch point of the overlay folders on the upstream folder
  strata diff --new PATH|REF [--old PATH|REF] [--layers agent.yaml]... [--json|--sarif] [--no-xml] [--no-tests] [--verbose]
      the conflicts of moving the overlay from the old release (default:
      the upstream folder as it is) to the new one; a release is a directory
      laid out like the upstream folder or a git ref whose upstream folder is
      used; --layers adds an operator agent.yaml's declarative layers
      (layer-overlap, layer-no-op, stale-override); the overlay's tests run
      under both releases (test-break) unless --no-tests
  strata import PATH|REF --version V [--name NAME] [--json|--sarif] [--no-tests]
      replace the upstream folder with the release, write its provenance
      file (NAME defaults to the release name strata.yaml gives), print the
      diff report
  strata verify
      the upstream folder matches its provenance file
  strata check [--layers agent.yaml]... [--json|--sarif] [--no-xml] [--verbose]
      the tree against the lock (CI runs this)
  strata accept [--no-xml]
      rewrite the lock (and the lock folder) from the tree
  strata refresh [SYMBOL...]
      3-way merge (git merge-file) of drifted stamped copies
  strata stamp SYMBOL
      print the //strata:copy line for an upstream symbol

Exit codes: 0 clean, 1 conflicts (or a conflicted refresh, or verify
failing), 2 usage or analysis error.
`

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return ExitError
		}
		return ExitClean
	}
	if err := pass.Validate(passes.All); err != nil {
		fmt.Fprintf(stderr, "strata: %v\n", err)
		return ExitError
	}
	cmd, rest := args[0], args[1:]
	fs := pflag.NewFlagSet("strata "+cmd, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	asJSON := fs.Bool("json", false, "print JSON")
	asSARIF := fs.Bool("sarif", false, "print SARIF 2.1.0")
	noXML := fs.Bool("no-xml", false, "do not render the stock corpus (no xml-overlap)")
	noTests := fs.Bool("no-tests", false, "diff, import: do not run the overlay's tests under both releases (no test-break)")
	layers := fs.StringArray("layers", nil, "an operator agent.yaml whose layers.declarative entries to check (repeatable): layer-overlap, layer-no-op, stale-override")
	verbose := fs.Bool("verbose", false, "text: list every item a finding summarises (each corpus case of an xml-overlap)")
	newRel := fs.String("new", "", "the new release: a directory laid out like the upstream folder, or a git ref")
	oldRel := fs.String("old", "", "the old release (default: the upstream folder as it is)")
	version := fs.String("version", "", "the imported release's version")
	name := fs.String("name", "", "the imported release's name (default: the release name strata.yaml gives)")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitClean
		}
		return ExitError
	}
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "strata: %v\n", err)
		return ExitError
	}
	ctx := context.Background()
	out := output{w: stdout, json: *asJSON, sarif: *asSARIF, verbose: *verbose}
	if out.json && out.sarif {
		fmt.Fprintln(stderr, "strata: --json and --sarif exclude each other")
		return ExitError
	}
	code, err := func() (int, error) {
		switch cmd {
		case "touchpoints":
			return ExitClean, touchpointsCmd(root, stdout, *asJSON)
		case "diff":
			if *newRel == "" || fs.NArg() != 0 {
				return ExitError, errors.New("diff: --new PATH|REF is required, and nothing else")
			}
			rep, err := diff.Run(ctx, diff.Options{Root: root, Old: *oldRel, New: *newRel, NoXML: *noXML, Layers: *layers, Tests: !*noTests})
			if err != nil {
				return ExitError, err
			}
			for _, spec := range []string{*newRel, *oldRel} {
				if w := uncommittedRelease(root, spec); spec != "" && w != "" {
					rep.Warnings = append(rep.Warnings, w)
					fmt.Fprintf(stderr, "strata: warning: %s\n", w)
				}
			}
			return out.print(rep)
		case "import":
			if fs.NArg() != 1 || *version == "" {
				return ExitError, errors.New("import: PATH|REF and --version V are required")
			}
			spec := fs.Arg(0)
			if st, err := os.Stat(spec); err == nil && st.IsDir() {
				// The release is copied away before the upstream folder is replaced.
				abs, _ := filepath.Abs(spec)
				spec = abs
			}
			if *name == "" {
				lay, err := layout.Load(root)
				if err != nil {
					return ExitError, err
				}
				*name = lay.Upstream.Name
			}
			rep, err := diff.Run(ctx, diff.Options{Root: root, New: spec, NoXML: *noXML, Layers: *layers, Tests: !*noTests, Name: *name, Version: *version})
			if err != nil {
				return ExitError, err
			}
			if _, err := release.Import(root, spec, *name, *version); err != nil {
				return ExitError, err
			}
			rep.New.Version = *version
			return out.print(rep)
		case "verify":
			lay, err := layout.Load(root)
			if err != nil {
				return ExitError, err
			}
			if err := release.Of(lay, root).Verify(); err != nil {
				fmt.Fprintf(stderr, "strata verify: %v\n", err)
				return ExitConflicts, nil
			}
			fmt.Fprintf(stdout, "%s/ matches %s/%s\n", lay.Upstream.Dir, lay.Upstream.Dir, lay.Upstream.Provenance)
			return ExitClean, nil
		case "check":
			rep, err := diff.CheckLayers(ctx, root, *noXML, *layers)
			if err != nil {
				return ExitError, err
			}
			return out.print(rep)
		case "accept":
			lay, err := layout.Load(root)
			if err != nil {
				return ExitError, err
			}
			n, err := lock.Accept(ctx, root, pass.LockKinds(passes.All), *noXML)
			if err != nil {
				return ExitError, err
			}
			fmt.Fprintf(stdout, "wrote %s (%d lines)\n", lay.Lock.File, n)
			return ExitClean, nil
		case "refresh":
			res, err := refresh.Run(root, fs.Args())
			if err != nil {
				return ExitError, err
			}
			for _, r := range res {
				fmt.Fprintln(stdout, r)
			}
			return refresh.ExitCode(res), nil
		case "stamp":
			if fs.NArg() != 1 {
				return ExitError, errors.New("stamp: one SYMBOL, as <upstream folder>/<pkg>.<Name>")
			}
			t, err := touchpoints.Load(root)
			if err != nil {
				return ExitError, err
			}
			o := t.Object(fs.Arg(0))
			if o == nil || o.Hash == "" {
				return ExitError, fmt.Errorf("stamp: %s is not a function or method of %s/", fs.Arg(0), t.Layout.Upstream.Dir)
			}
			fmt.Fprintf(stdout, "%s%s %s\n", touchpoints.StampDirective, o.Symbol, o.Hash)
			return ExitClean, nil
		}
		return ExitError, fmt.Errorf("unknown command %q (strata --help lists them)", cmd)
	}()
	if err != nil {
		fmt.Fprintf(stderr, "strata: %v\n", err)
	}
	return code
}

type output struct {
	w                    io.Writer
	json, sarif, verbose bool
}

func (o output) print(rep *finding.Report) (int, error) {
	var err error
	switch {
	case o.json:
		err = report.JSON(o.w, rep)
	case o.sarif:
		err = report.SARIF(o.w, rep, passes.All, toolVersion())
	default:
		color := false
		if f, ok := o.w.(*os.File); ok {
			color = isatty.IsTerminal(f.Fd())
		}
		err = report.TextWith(o.w, rep, report.Classes(passes.All), report.TextOptions{Color: color, Verbose: o.verbose})
	}
	if err != nil {
		return ExitError, err
	}
	return report.ExitCode(rep), nil
}

// touchpointsCmd lists the touch points, as text lines or one JSON object.
func touchpointsCmd(root string, w io.Writer, asJSON bool) error {
	t, err := touchpoints.Load(root)
	if err != nil {
		return err
	}
	if asJSON {
		v := map[string]any{
			"uses": t.Uses, "embeds": t.Embeds, "overrides": t.Overrides, "stamps": stampsJSON(t.Stamps),
			"routes": t.Routes, "settings": t.Settings, "reads": t.Reads, "writes": t.Writes,
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	var lines []string
	for _, u := range t.Uses {
		kind := "use"
		if u.Call {
			kind = "call"
		}
		lines = append(lines, fmt.Sprintf("%s\t%s %s", u.Pos, kind, u.Symbol))
	}
	for _, e := range t.Embeds {
		lines = append(lines, fmt.Sprintf("%s\tembed %s in %s", e.Pos, e.Symbol, e.Overlay))
	}
	for _, o := range t.Overrides {
		lines = append(lines, fmt.Sprintf("%s\toverride %s by %s", o.Pos, o.Symbol, o.Overlay))
	}
	for _, s := range t.Stamps {
		lines = append(lines, fmt.Sprintf("%s\tcopy %s %s in %s", s.Pos, s.Symbol, s.Fingerprint, s.Overlay))
	}
	for _, r := range t.Routes {
		mode := "sync"
		if r.Async {
			mode = "async"
		}
		wraps := ""
		if r.Wraps != "" {
			wraps = " wraps " + r.Wraps
		}
		lines = append(lines, fmt.Sprintf("%s\troute %s %s (%s)%s", r.Pos, r.Side, r.Path, mode, wraps))
	}
	for _, s := range t.Settings {
		if s.Side == touchpoints.Overlay {
			lines = append(lines, fmt.Sprintf("%s\tsetting defines %s (%s)", s.Pos, s.Key, s.Type))
		}
	}
	for _, r := range t.Reads {
		lines = append(lines, fmt.Sprintf("%s\tsetting reads %s", r.Pos, r.Key))
	}
	for _, wr := range t.Writes {
		lines = append(lines, fmt.Sprintf("%s\txml %s by layer %s", wr.Pos, wr.Path, wr.Layer))
	}
	sort.Strings(lines)
	_, err = io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

func stampsJSON(ss []touchpoints.Stamp) []map[string]any {
	out := []map[string]any{}
	for _, s := range ss {
		out = append(out, map[string]any{"overlay": s.Overlay, "symbol": s.Symbol, "fingerprint": s.Fingerprint, "pos": s.Pos})
	}
	return out
}

// toolVersion is the module's version as built (a tag, or "(devel)" with
// the VCS revision when the build recorded one), for SARIF's driver.version.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += "+" + s.Value
		}
	}
	return v
}
