package diff

import (
	"context"
	"fmt"
	"os"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// LockClass is the class of check's findings about the lock itself: a
// touch point the lock does not record (never reviewed), or a recorded one
// the overlay no longer has.
const LockClass = "lock"

// Check runs the same passes as a diff, with the tree at root as the new
// release and its lock (strata.yaml's lock.file) as the old one (each pass's lock kinds
// rebuild what it reads of the old side), so the gate, the report and its
// info lines come from one classifier. The old side has no line numbers:
// its upstream positions are left out.
func Check(ctx context.Context, root string, noXML bool) (*finding.Report, error) {
	return CheckLayers(ctx, root, noXML, nil)
}

// CheckLayers is Check with operator agent.yaml files (`--layers`). The
// lock records no operator facts: the facts come from the files at check
// time, the new side over the tree's stock render and the old side over
// the lock's recorded stock XML (the same harness, fed that XML). Without
// recorded stock XML only stale-override runs, and a warning says so.
func CheckLayers(ctx context.Context, root string, noXML bool, layers []string) (*finding.Report, error) {
	if err := pass.Validate(passes.All); err != nil {
		return nil, fmt.Errorf("pass set: %w", err)
	}
	t, xml, warn, err := lock.Load(ctx, root, noXML)
	if err != nil {
		return nil, err
	}
	recorded, err := lock.Read(root)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	kinds := pass.LockKinds(passes.All)
	old, err := lock.Restore(root, kinds, t, recorded)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	p, _ := release.Of(t.Layout, root).ReadProvenance()
	rep := &finding.Report{Old: finding.Release{Version: "lock"}, New: finding.Release{Version: p.Version, Tree: p.Tree}, Warnings: warn}
	in := &pass.Input{Old: old.Tree, New: t}
	if xml != nil && old.XML != nil {
		in.OldXML, in.NewXML = old.XML, xml
	}
	if len(layers) > 0 {
		corpus, err := stockxml.UnionCorpus(root)
		if err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		defer os.RemoveAll(corpus)
		if in.NewLayers, err = stockxml.RenderLayers(ctx, root, corpus, layers); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("--layers: %v", err))
		}
		switch {
		case in.NewLayers == nil:
		case old.XML == nil:
			rep.Warnings = append(rep.Warnings, "--layers: check runs stale-override over the tree only; layer-overlap and layer-no-op need the old side's stock XML, which the lock does not hold: run `strata diff --layers FILE --new REF` for them")
		default:
			// The old side: the operator's entries over the lock's stock
			// XML (the overlay is the tree's, as in a diff).
			if in.OldLayers, err = stockxml.RenderLayersOver(ctx, root, corpus, old.XML, layers); err != nil {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("--layers: over the lock's stock XML: %v", err))
			}
		}
	}
	// in.Tests stays nil, so test-break says nothing here: the lock holds
	// no test results to compare with, and the CI job that runs check runs
	// the overlay's tests itself (a second run would only double its cost).
	fs, err := pass.RunAll(passes.All, in)
	if err != nil {
		return nil, err
	}
	info := known(old, Info(in, fs))
	for _, l := range [][]finding.Finding{fs, info} {
		for i := range l {
			l[i].Upstream.Old = nil
		}
	}
	lockFs, changed := lockFindings(kinds, lock.Record(kinds, t, xml), recorded, xml != nil, fs)
	if changed > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("lock: %d recorded facts changed with no conflict (upstream changes the overlay survives); strata accept records them", changed))
	}
	rep.Conflicts = append(fs, lockFs...)
	rep.Info = info
	rep.Normalize()
	return rep, nil
}

// lockFindings compares the lines the tree records with the lock's: a line
// missing on either side is a lock finding; a changed line is counted
// unless a conflict already names its key (the passes judge changes).
func lockFindings(kinds []*lock.Kind, cur, recorded []lock.Line, haveXML bool, conflicts []finding.Finding) ([]finding.Finding, int) {
	skip := map[string]bool{}
	derived := map[string]bool{}
	doc := map[string]string{}
	for _, k := range kinds {
		skip[k.Name] = k.NeedsXML && !haveXML
		derived[k.Name] = k.Derived
		doc[k.Name] = k.Doc
	}
	named := map[string]bool{}
	for _, f := range conflicts {
		named[f.Symbol] = true
	}
	rec := map[string]lock.Line{}
	for _, l := range recorded {
		rec[l.ID()] = l
	}
	var out []finding.Finding
	changed := 0
	seen := map[string]bool{}
	for _, l := range cur {
		seen[l.ID()] = true
		r, ok := rec[l.ID()]
		switch {
		case skip[l.Kind]:
		case !ok && derived[l.Kind]:
			changed++
		case !ok:
			out = append(out, finding.Finding{Class: LockClass, Severity: finding.Error, Symbol: l.Key, Overlay: l.Pos,
				Message: fmt.Sprintf("%s %s (%s) is not in the lock", l.Kind, l.Key, doc[l.Kind]), Action: "review it, then run strata accept"})
		case r.Data != l.Data && !named[l.Key]:
			changed++
		}
	}
	for _, l := range recorded {
		if !seen[l.ID()] && derived[l.Kind] {
			changed++
		} else if !seen[l.ID()] && !skip[l.Kind] {
			out = append(out, finding.Finding{Class: LockClass, Severity: finding.Error, Symbol: l.Key,
				Message: fmt.Sprintf("%s %s is in the lock but the overlay no longer needs it", l.Kind, l.Key), Action: "run strata accept"})
		}
	}
	return out, changed
}

// known keeps the info lines about what the lock records: the old side
// holds only the upstream the overlay touches, so "added" is every other
// object, route and key of upstream and says nothing.
func known(old *lock.Old, info []finding.Finding) []finding.Finding {
	have := map[string]bool{}
	for s := range old.Tree.Objects {
		have[s] = true
	}
	for _, r := range old.Tree.Routes {
		if r.Side == touchpoints.Upstream {
			have[r.Path] = true
		}
	}
	for _, st := range old.Tree.Settings {
		if st.Side == touchpoints.Upstream {
			have[st.Key] = true
		}
	}
	for c := range old.XML {
		have["corpus:"+c] = true
	}
	var out []finding.Finding
	for _, f := range info {
		if have[f.Symbol] {
			out = append(out, f)
		}
	}
	return out
}
