// Package report prints a finding.Report as text for people, JSON and
// SARIF 2.1.0 for machines. The printers are pure functions over a
// normalised report (sorted, de-duplicated): passes never print.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
)

// ExitCode is 1 when the report holds a conflict, else 0.
func ExitCode(r *finding.Report) int {
	if len(r.Conflicts) > 0 {
		return 1
	}
	return 0
}

// JSON writes the pinned shape: {"old", "new", "conflicts", "info"}.
func JSON(w io.Writer, r *finding.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// Text writes the report grouped by class, in class order of classes
// (then info); color adds ANSI colours (only on a terminal).
func Text(w io.Writer, r *finding.Report, classes []string, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + reset
	}
	var b strings.Builder
	fmt.Fprintf(&b, "old %s %s\nnew %s %s\n", orDash(r.Old.Version), orDash(r.Old.Tree), orDash(r.New.Version), orDash(r.New.Tree))
	for _, wmsg := range r.Warnings {
		fmt.Fprintf(&b, "%s %s\n", paint(yellow, "analysis warning:"), wmsg)
	}
	groups := map[string][]finding.Finding{}
	for _, f := range r.Conflicts {
		groups[f.Class] = append(groups[f.Class], f)
	}
	order := append([]string{}, classes...)
	for c := range groups {
		if !contains(order, c) {
			order = append(order, c)
		}
	}
	for _, c := range order {
		fs := groups[c]
		if len(fs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d)\n", paint(bold, c), len(fs))
		for _, f := range fs {
			sev := paint(red, f.Severity)
			if f.Severity == finding.Warning {
				sev = paint(yellow, f.Severity)
			}
			fmt.Fprintf(&b, "  %s: %s: %s\n", f.Overlay, sev, f.Message)
			if len(f.Also) > 0 {
				fmt.Fprintf(&b, "      also: %s\n", joinPos(f.Also))
			}
			if f.Upstream.Old != nil {
				fmt.Fprintf(&b, "      upstream old: %s\n", *f.Upstream.Old)
			}
			if f.Upstream.New != nil {
				fmt.Fprintf(&b, "      upstream new: %s\n", *f.Upstream.New)
			}
			if f.Action != "" {
				fmt.Fprintf(&b, "      action: %s\n", f.Action)
			}
		}
	}
	if len(r.Conflicts) == 0 {
		b.WriteString("\nno conflicts\n")
	}
	if len(r.Info) > 0 {
		fmt.Fprintf(&b, "\n%s (%d upstream changes the overlay does not touch)\n", paint(bold, "info"), len(r.Info))
		for _, f := range r.Info {
			fmt.Fprintf(&b, "  %s: %s\n", f.Class, f.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// LockClass is the class of check's findings about the lock itself (a
// touch point not in overlay/strata.lock, or a stale line).
const LockClass = "lock"

const lockDoc = "The tree's touch points differ from overlay/strata.lock: review, then run strata accept."

// firstSentence is a doc's first sentence on one line.
func firstSentence(doc string) string {
	para, _, _ := strings.Cut(doc, "\n\n")
	one := strings.Join(strings.Fields(para), " ")
	if i := strings.Index(one, ". "); i >= 0 {
		return one[:i+1]
	}
	return one
}

// Classes are the class names of a pass set, in order.
func Classes(ps []*pass.Pass) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// SARIF writes SARIF 2.1.0: one rule per class (its doc), one result per
// conflict on its overlay line, the upstream lines as related locations.
func SARIF(w io.Writer, r *finding.Report, ps []*pass.Pass) error {
	rep, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	run := sarif.NewRunWithInformationURI("strata", "https://github.com/strataagent/strata/blob/main/MAINTAINING.md")
	for _, p := range ps {
		run.AddRule(p.Name).WithShortDescription(sarif.NewMultiformatMessageString(firstSentence(p.Doc))).WithFullDescription(sarif.NewMultiformatMessageString(p.Doc))
	}
	run.AddRule(LockClass).WithShortDescription(sarif.NewMultiformatMessageString(lockDoc)).WithFullDescription(sarif.NewMultiformatMessageString(lockDoc))
	loc := func(p finding.Pos, msg string) *sarif.Location {
		l := sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(p.File)).
			WithRegion(sarif.NewRegion().WithStartLine(max(p.Line, 1))))
		if msg != "" {
			l.WithMessage(sarif.NewTextMessage(msg))
		}
		return l
	}
	for _, f := range r.Conflicts {
		level := "error"
		if f.Severity == finding.Warning {
			level = "warning"
		}
		res := sarif.NewRuleResult(f.Class).WithLevel(level).WithMessage(sarif.NewTextMessage(f.Message + " (" + f.Action + ")"))
		if f.Overlay.File != "" {
			res.AddLocation(loc(f.Overlay, ""))
		}
		id := 1
		if f.Upstream.Old != nil {
			res.AddRelatedLocation(loc(*f.Upstream.Old, "upstream (old release)").WithId(id))
			id++
		}
		if f.Upstream.New != nil {
			res.AddRelatedLocation(loc(*f.Upstream.New, "upstream (new release)").WithId(id))
		}
		run.AddResult(res)
	}
	rep.AddRun(run)
	if err := rep.PrettyWrite(w); err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	return nil
}

// joinPos prints positions as "file:line, file:line".
func joinPos(ps []finding.Pos) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	return strings.Join(ss, ", ")
}
