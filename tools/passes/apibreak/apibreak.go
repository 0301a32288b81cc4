package apibreak

import (
	_ "embed"
	"fmt"
	"strings"

	"golang.org/x/exp/apidiff"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/touchpoints"
)

//go:embed doc.go
var doc string

// Pass is the api-break class.
var Pass = &pass.Pass{Name: "api-break", Doc: pass.DocOf(doc), Run: run, Lock: []*lock.Kind{lock.Types}}

func run(in *pass.Input) ([]finding.Finding, error) {
	errLines := map[touchpoints.Pos][]string{}
	for _, e := range in.New.Errors {
		errLines[e.Pos] = append(errLines[e.Pos], e.Msg)
	}
	msgs := APIMessages(in.Old, in.New)
	explained := map[touchpoints.Pos]bool{}
	var out []finding.Finding
	for _, u := range in.Old.Uses {
		oldObj := in.Old.Object(u.Symbol)
		newObj := in.New.Object(u.Symbol)
		changed := newObj == nil || oldObj == nil || newObj.Type != oldObj.Type
		if !changed || len(errLines[u.Pos]) == 0 {
			continue
		}
		explained[u.Pos] = true
		f := finding.Finding{
			Severity: finding.Error,
			Symbol:   u.Symbol,
			Overlay:  u.Pos,
			Action:   "adapt the overlay to the new API (the overlay does not build against the new release)",
		}
		if oldObj != nil {
			f.Upstream.Old = finding.PosOf(oldObj.Pos)
		}
		switch {
		case msgs[u.Symbol] != "":
			f.Message = fmt.Sprintf("%s: %s", u.Symbol, msgs[u.Symbol])
		case newObj == nil:
			f.Message = fmt.Sprintf("%s: removed", u.Symbol)
		default:
			f.Message = fmt.Sprintf("%s: changed from %s to %s", u.Symbol, oldObj.Type, newObj.Type)
		}
		if newObj != nil {
			f.Upstream.New = finding.PosOf(newObj.Pos)
		}
		out = append(out, f)
	}
	out = pass.FirstBy(out)
	// Errors no changed symbol explains still break the build: name what the
	// line uses from upstream (an interface the overlay no longer satisfies
	// is met at a call, not at its name).
	usesAt := map[touchpoints.Pos][]string{}
	for _, u := range in.Old.Uses {
		usesAt[u.Pos] = append(usesAt[u.Pos], u.Symbol)
	}
	for _, e := range in.New.Errors {
		if explained[e.Pos] {
			continue
		}
		explained[e.Pos] = true
		sym := ""
		if s := usesAt[e.Pos]; len(s) > 0 {
			sym = s[0]
		}
		out = append(out, finding.Finding{
			Severity: finding.Error, Symbol: sym, Overlay: e.Pos,
			Message: fmt.Sprintf("the overlay no longer builds: %s", e.Msg),
			Action:  "adapt the overlay to the new API",
		})
	}
	return out, nil
}

// APIMessages runs apidiff on every upstream package present in both
// trees and returns its messages by symbol (upstream/<pkg>.<name as apidiff
// prints it>), incompatible changes first.
func APIMessages(old, new *touchpoints.Tree) map[string]string {
	m := map[string]string{}
	for _, c := range APIChanges(old, new) {
		if _, ok := m[c.Symbol]; !ok || !c.Compatible {
			m[c.Symbol] = c.Message
		}
	}
	return m
}

// Change is one apidiff change.
type Change struct {
	Symbol     string
	Message    string
	Compatible bool
}

// APIChanges is apidiff over each upstream package of both trees; a
// package gone from the new release is one change.
func APIChanges(old, new *touchpoints.Tree) []Change {
	var out []Change
	for path, op := range old.Packages {
		rel := strings.TrimPrefix(path, old.Module+"/")
		np := new.Packages[path]
		if np == nil {
			out = append(out, Change{Symbol: rel, Message: "package removed"})
			continue
		}
		r := apidiff.Changes(op, np)
		for _, c := range r.Changes {
			name, msg, ok := strings.Cut(c.Message, ": ")
			if !ok {
				name, msg = "", c.Message
			}
			out = append(out, Change{Symbol: rel + "." + name, Message: msg, Compatible: c.Compatible})
		}
	}
	return out
}
