// Package diff runs the conflict passes between two releases under the
// same overlay and lists every other upstream change as information.
package diff

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/gotest"
	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/passes/apibreak"
	"github.com/strataagent/strata/tools/passes/routechange"
	"github.com/strataagent/strata/tools/passes/settingschange"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// Options says what to compare. Old empty means root's upstream as it is.
type Options struct {
	Root     string
	Old, New string
	// NoXML skips rendering the stock corpus (xml-overlap then reports nothing).
	NoXML bool
	// Layers are operator agent.yaml files whose declarative entries the
	// layer passes check (`--layers`, repeatable).
	Layers []string
	// Tests runs the overlay's own tests under both releases (test-break);
	// the CLI sets it for diff and import unless --no-tests.
	Tests bool
	// TestCache is test-break's stable preview directory; empty: the user
	// cache's one for Root (gotest.CacheDir).
	TestCache string
	// Name and Version, when set (import), are written into the new
	// tree's provenance file before anything runs, as the import will
	// leave it: the overlay's tests see the version they will see after
	// the import (the overlay's build info checks it).
	Name, Version string
}

// Run materialises both releases, loads them and runs every pass.
func Run(ctx context.Context, o Options) (*finding.Report, error) {
	if err := pass.Validate(passes.All); err != nil {
		return nil, fmt.Errorf("pass set: %w", err)
	}
	oldDir := o.Root
	if o.Old != "" {
		d, err := release.Materialize(o.Root, o.Old)
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		oldDir = d
	}
	newDir, err := release.Materialize(o.Root, o.New)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(newDir)
	if o.Version != "" {
		if err := stampProvenance(newDir, o.Name, o.Version); err != nil {
			return nil, err
		}
	}
	return trees(ctx, oldDir, newDir, o)
}

// stampProvenance sets the name and version of the tree's provenance file
// (a release may come without one).
func stampProvenance(dir, name, version string) error {
	lay, err := layout.Load(dir)
	if err != nil {
		return fmt.Errorf("stamp the imported version: %w", err)
	}
	up := release.Of(lay, dir)
	p, _ := up.ReadProvenance()
	p.Name, p.Version = name, version
	if err := os.WriteFile(filepath.Join(up.Dir, up.File), []byte(p.Format()), 0o644); err != nil {
		return fmt.Errorf("stamp the imported version: %w", err)
	}
	return nil
}

// Trees compares two materialised trees with the same overlay.
func Trees(ctx context.Context, oldDir, newDir string, noXML bool) (*finding.Report, error) {
	return TreesLayers(ctx, oldDir, newDir, noXML, nil)
}

// TreesLayers is Trees that also applies the declarative entries of each
// agent.yaml in layers to the stock corpus under both releases.
func TreesLayers(ctx context.Context, oldDir, newDir string, noXML bool, layers []string) (*finding.Report, error) {
	return trees(ctx, oldDir, newDir, Options{NoXML: noXML, Layers: layers})
}

func trees(ctx context.Context, oldDir, newDir string, o Options) (*finding.Report, error) {
	noXML, layers := o.NoXML, o.Layers
	oldT, err := touchpoints.Load(oldDir)
	if err != nil {
		return nil, err
	}
	newT, err := touchpoints.Load(newDir)
	if err != nil {
		return nil, err
	}
	rep := &finding.Report{Old: describe(oldT), New: describe(newT)}
	in := &pass.Input{Old: oldT, New: newT}
	if len(oldT.Writes) > 0 && !noXML {
		corpus, err := stockxml.UnionCorpus(oldDir, newDir)
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(corpus)
		if in.OldXML, err = stockxml.Render(ctx, oldDir, corpus); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("xml-overlap: old release: %v", err))
		}
		if in.NewXML, err = stockxml.Render(ctx, newDir, corpus); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("xml-overlap: new release: %v", err))
			in.OldXML = nil
		}
	}
	if len(layers) > 0 {
		if err := renderLayers(ctx, in, rep, oldDir, newDir, layers); err != nil {
			return nil, err
		}
	}
	if o.Tests {
		if err := runTests(ctx, in, rep, o, oldDir, newDir); err != nil {
			return nil, err
		}
	}
	if len(newT.LoadErrors) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the new release itself does not type-check (%d errors, first: %s: %s)", len(newT.LoadErrors), newT.LoadErrors[0].Pos, newT.LoadErrors[0].Msg))
	}
	fs, err := pass.RunAll(passes.All, in)
	if err != nil {
		return nil, err
	}
	// A pass may also say what only informs (a case the new release now
	// accepts): that goes with the information, not the conflicts.
	var info []finding.Finding
	for _, f := range fs {
		if f.Severity == finding.Info {
			info = append(info, f)
		} else {
			rep.Conflicts = append(rep.Conflicts, f)
		}
	}
	rep.Info = append(Info(in, fs), info...)
	rep.Normalize()
	return rep, nil
}

// renderLayers runs the layers harness under both releases over the
// union corpus. A release whose overlay does not build against it cannot
// say what the layers do there: a warning, and no layer finding.
func renderLayers(ctx context.Context, in *pass.Input, rep *finding.Report, oldDir, newDir string, layers []string) error {
	corpus, err := stockxml.UnionCorpus(oldDir, newDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(corpus)
	if in.OldLayers, err = stockxml.RenderLayers(ctx, oldDir, corpus, layers); err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("--layers: old release: %v", err))
	}
	if in.NewLayers, err = stockxml.RenderLayers(ctx, newDir, corpus, layers); err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("--layers: new release: %v", err))
		in.OldLayers = nil
	}
	return nil
}

// runTests runs the overlay's tests under both releases in the stable
// preview directory of the repository at root: the tree's parts the tests
// build from and the overlay's packages come from the new tree's layout. A
// go command that cannot run them is a warning, as a harness that does not
// build is.
func runTests(ctx context.Context, in *pass.Input, rep *finding.Report, o Options, oldDir, newDir string) error {
	cache, err := o.TestCache, error(nil)
	if cache == "" {
		if cache, err = gotest.CacheDir(o.Root); err != nil {
			return err
		}
	}
	lay := in.New.Layout
	sides := append(lay.Copied(), lay.Upstream.Dir)
	var pkgs []string
	for _, d := range lay.Overlay {
		pkgs = append(pkgs, "./"+d+"/...")
	}
	if in.Tests, err = gotest.Compare(ctx, cache, oldDir, newDir, sides, pkgs); err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("test-break: %v", err))
	}
	return nil
}

func describe(t *touchpoints.Tree) finding.Release {
	up := release.Of(t.Layout, t.Root)
	// The tree is always computed: a release directory may carry a stale
	// provenance file (copied from the release it was made from).
	p, _ := up.ReadProvenance()
	if h, err := up.TreeHash(); err == nil {
		p.Tree = h
	}
	return finding.Release{Version: p.Version, Tree: p.Tree}
}

// Info lists the upstream changes no conflict names: API changes (apidiff),
// changed function bodies, route and settings table changes.
func Info(in *pass.Input, conflicts []finding.Finding) []finding.Finding {
	named := map[string]bool{}
	for _, f := range conflicts {
		named[f.Symbol] = true
	}
	var out []finding.Finding
	add := func(class, sym, msg string, old, new *finding.Pos) {
		if named[sym] {
			return
		}
		out = append(out, finding.Finding{Class: class, Severity: finding.Info, Symbol: sym, Message: msg, Upstream: finding.Upstream{Old: old, New: new}})
	}
	api := map[string]bool{}
	for _, c := range apibreak.APIChanges(in.Old, in.New) {
		api[c.Symbol] = true
		var op, np *finding.Pos
		if o := in.Old.Object(c.Symbol); o != nil {
			op = finding.PosOf(o.Pos)
		}
		if n := in.New.Object(c.Symbol); n != nil {
			np = finding.PosOf(n.Pos)
		}
		add("api", c.Symbol, c.Symbol+": "+c.Message, op, np)
	}
	syms := make([]string, 0, len(in.Old.Objects))
	for s := range in.Old.Objects {
		syms = append(syms, s)
	}
	sort.Strings(syms)
	for _, s := range syms {
		o, n := in.Old.Objects[s], in.New.Objects[s]
		if n == nil || o.Hash == "" || n.Hash == "" || o.Hash == n.Hash || api[s] {
			continue
		}
		add("body", s, "the body of "+s+" changed", finding.PosOf(o.Pos), finding.PosOf(n.Pos))
	}
	for s, n := range in.New.Objects {
		if in.Old.Objects[s] == nil && n.Hash != "" && !api[s] {
			add("body", s, s+" added (unexported)", nil, finding.PosOf(n.Pos))
		}
	}
	oldR, newR := routechange.Table(in.Old, touchpoints.Upstream), routechange.Table(in.New, touchpoints.Upstream)
	for p, r := range newR {
		if o, ok := oldR[p]; !ok {
			add("route", p, "upstream registers a new route "+p, nil, finding.PosOf(r.Pos))
		} else if o.Async != r.Async {
			add("route", p, "route "+p+" switched between sync and async", finding.PosOf(o.Pos), finding.PosOf(r.Pos))
		}
	}
	for p, r := range oldR {
		if _, ok := newR[p]; !ok {
			add("route", p, "upstream no longer registers "+p, finding.PosOf(r.Pos), nil)
		}
	}
	oldS, newS := settingschange.Table(in.Old, touchpoints.Upstream), settingschange.Table(in.New, touchpoints.Upstream)
	for k, s := range newS {
		if o, ok := oldS[k]; !ok {
			add("setting", k, "upstream defines a new settings key "+k, nil, finding.PosOf(s.Pos))
		} else if o.Type != s.Type {
			add("setting", k, "settings key "+k+" changed type from "+o.Type+" to "+s.Type, finding.PosOf(o.Pos), finding.PosOf(s.Pos))
		}
	}
	for k, s := range oldS {
		if _, ok := newS[k]; !ok {
			add("setting", k, "upstream no longer defines settings key "+k, finding.PosOf(s.Pos), nil)
		}
	}
	if in.OldXML != nil && in.NewXML != nil {
		for _, name := range in.OldXML.Names() {
			if n, ok := in.NewXML[name]; ok && n != in.OldXML[name] {
				add("xml", "corpus:"+name, "the stock XML of corpus case "+name+" changed", nil, nil)
			}
		}
	}
	return out
}
