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

// FormatVersion is the version of the JSON shape; it changes when a field
// changes meaning or goes away (added fields keep it).
const FormatVersion = 1

// Counts are the report's totals, so a consumer need not count.
type Counts struct {
	Conflicts int            `json:"conflicts"`
	Errors    int            `json:"errors"`
	Warnings  int            `json:"warnings"`
	Info      int            `json:"info"`
	ByClass   map[string]int `json:"byClass"`
}

// CountOf counts a report's findings.
func CountOf(r *finding.Report) Counts {
	c := Counts{Conflicts: len(r.Conflicts), Info: len(r.Info), ByClass: map[string]int{}}
	for _, f := range r.Conflicts {
		c.ByClass[f.Class]++
		if f.Severity == finding.Warning {
			c.Warnings++
		} else {
			c.Errors++
		}
	}
	return c
}

// JSON writes the pinned shape: {"format", "old", "new", "counts",
// "conflicts", "info"}.
func JSON(w io.Writer, r *finding.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // commands in actions read as written ("&&")
	v := struct {
		Format    int               `json:"format"`
		Old       finding.Release   `json:"old"`
		New       finding.Release   `json:"new"`
		Counts    Counts            `json:"counts"`
		Conflicts []finding.Finding `json:"conflicts"`
		Info      []finding.Finding `json:"info"`
	}{FormatVersion, r.Old, r.New, CountOf(r), r.Conflicts, r.Info}
	if err := enc.Encode(v); err != nil {
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

// TextOptions say how text reads: Color adds ANSI colours (only on a
// terminal), Verbose lists every item a finding's message summarises.
type TextOptions struct {
	Color, Verbose bool
}

// Text writes the report grouped by class, in class order of classes
// (then info); color adds ANSI colours (only on a terminal).
func Text(w io.Writer, r *finding.Report, classes []string, color bool) error {
	return TextWith(w, r, classes, TextOptions{Color: color})
}

// TextWith is Text with options.
func TextWith(w io.Writer, r *finding.Report, classes []string, o TextOptions) error {
	color := o.Color
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
			if o.Verbose {
				for _, d := range f.Detail {
					fmt.Fprintf(&b, "      - %s\n", d)
				}
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
// fact not in overlay/strata.lock, or a stale line).
const LockClass = "lock"

// Classes are the class names of a pass set, in order.
func Classes(ps []*pass.Pass) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// URI base ids: the repository (overlay lines, and upstream/ as it is) and
// each release's upstream/ (a release may be a temporary copy).
const (
	SrcRoot    = "%SRCROOT%"
	OldRelease = "OLDRELEASE"
	NewRelease = "NEWRELEASE"
)

// SARIF writes SARIF 2.1.0: one rule per class with a short phrase and
// markdown help linking into MAINTAINING.md, one result per conflict on its
// overlay line (Finding.Also as further locations) with the upstream lines
// related under each release's base id, and the info lines as notes.
// version is the tool's (driver.version).
func SARIF(w io.Writer, r *finding.Report, ps []*pass.Pass, version string) error {
	rep, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	run := sarif.NewRunWithInformationURI("strata", HelpBase)
	run.Tool.Driver.WithVersion(version)
	run.WithOriginalUriBaseIds(map[string]*sarif.ArtifactLocation{
		OldRelease: sarif.NewArtifactLocation().WithDescriptionText("the old release's tree (paths start at upstream/), " + orDash(r.Old.Version) + " " + orDash(r.Old.Tree)),
		NewRelease: sarif.NewArtifactLocation().WithDescriptionText("the new release's tree (paths start at upstream/), " + orDash(r.New.Version) + " " + orDash(r.New.Tree)),
	})
	ids := append(Classes(ps), LockClass, InfoRule)
	for _, id := range ids {
		ru, ok := Rules[id]
		if !ok {
			return fmt.Errorf("sarif: class %s has no entry in report.Rules", id)
		}
		full := ru.Short + "."
		for _, p := range ps {
			if p.Name == id {
				full = p.Doc
			}
		}
		run.AddRule(id).
			WithShortDescription(sarif.NewMultiformatMessageString(ru.Short)).
			WithFullDescription(sarif.NewMultiformatMessageString(full)).
			WithHelp(sarif.NewMultiformatMessageString(ru.Help).WithMarkdown("**" + ru.Short + ".** " + ru.Help + "\n\nSee [MAINTAINING.md](" + HelpBase + "#" + ru.Anchor + ").")).
			WithHelpURI(HelpBase + "#" + ru.Anchor)
	}
	loc := func(p finding.Pos, base, msg string) *sarif.Location {
		l := sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(p.File).WithUriBaseId(base)).
			WithRegion(sarif.NewRegion().WithStartLine(max(p.Line, 1))))
		if msg != "" {
			l.WithMessage(sarif.NewTextMessage(msg))
		}
		return l
	}
	// The old release is upstream/ as it is unless diff was given --old;
	// a relative upstream/ path reads the same under either base.
	add := func(f finding.Finding, rule, level, text string) {
		res := sarif.NewRuleResult(rule).WithLevel(level).WithMessage(sarif.NewTextMessage(text))
		if f.Overlay.File != "" {
			res.AddLocation(loc(f.Overlay, SrcRoot, ""))
		}
		for _, p := range f.Also {
			res.AddLocation(loc(p, SrcRoot, "also depends on "+f.Symbol))
		}
		id := 1
		if f.Upstream.Old != nil {
			res.AddRelatedLocation(loc(*f.Upstream.Old, OldRelease, "upstream (old release)").WithId(id))
			id++
		}
		if f.Upstream.New != nil {
			res.AddRelatedLocation(loc(*f.Upstream.New, NewRelease, "upstream (new release)").WithId(id))
		}
		if f.Overlay.File == "" && len(f.Also) == 0 {
			// A result with no overlay line sits on the upstream line.
			switch {
			case f.Upstream.New != nil:
				res.AddLocation(loc(*f.Upstream.New, NewRelease, ""))
			case f.Upstream.Old != nil:
				res.AddLocation(loc(*f.Upstream.Old, OldRelease, ""))
			}
		}
		run.AddResult(res)
	}
	for _, f := range r.Conflicts {
		level := "error"
		if f.Severity == finding.Warning {
			level = "warning"
		}
		add(f, f.Class, level, f.Message+" ("+f.Action+")")
	}
	for _, f := range r.Info {
		add(f, InfoRule, "note", f.Class+": "+f.Message)
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
