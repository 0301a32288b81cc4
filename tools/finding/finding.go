// Package finding is the report's unit: one conflict or one piece of
// information, shaped like analysis.Diagnostic (overlay position, constant
// class, message naming the symbol, related upstream positions, action).
package finding

import (
	"sort"

	"github.com/strataagent/strata/tools/touchpoints"
)

// Severities.
const (
	Error   = "error"
	Warning = "warning"
	Info    = "info" // never a conflict; listed under "info"
)

// Pos is a file and line relative to the repository root.
type Pos = touchpoints.Pos

// Upstream is where the symbol is in the old and the new release.
type Upstream struct {
	Old *Pos `json:"old"`
	New *Pos `json:"new"`
}

// Finding is one entry of the report.
type Finding struct {
	Class    string `json:"class"`
	Severity string `json:"severity"`
	Symbol   string `json:"symbol"`
	Overlay  Pos    `json:"overlay"`
	// Also lists every other overlay position that depends on the same
	// changed object (call sites, uses, embeds), in file order.
	Also     []Pos    `json:"also,omitempty"`
	Upstream Upstream `json:"upstream"`
	Message  string   `json:"message"`
	Action   string   `json:"action"`
	// Detail lists every item the message summarises (each corpus case
	// of an xml-overlap); text prints it with --verbose.
	Detail []string `json:"detail,omitempty"`
}

// PosOf returns a pointer to p, or nil for the zero position.
func PosOf(p Pos) *Pos {
	if p == (Pos{}) {
		return nil
	}
	return &p
}

// key orders and de-duplicates findings.
func key(f Finding) [6]string {
	return [6]string{f.Overlay.File, pad(f.Overlay.Line), f.Class, f.Symbol, f.Message, f.Severity}
}

func pad(n int) string {
	const w = 10
	s := []byte("0000000000")
	for i := w - 1; i >= 0 && n > 0; i-- {
		s[i] = byte('0' + n%10)
		n /= 10
	}
	return string(s)
}

// Sort sorts findings by overlay position, class, symbol and message and
// drops exact duplicates (same position, class, symbol and message).
func Sort(fs []Finding) []Finding {
	out := append([]Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := key(out[i]), key(out[j])
		for k := range a {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	dedup := out[:0]
	for i, f := range out {
		if i > 0 && key(f) == key(out[i-1]) {
			continue
		}
		dedup = append(dedup, f)
	}
	return dedup
}

// Release names one side of the comparison.
type Release struct {
	Version string `json:"version"`
	Tree    string `json:"tree"`
}

// Report is what diff and check print.
type Report struct {
	Old       Release   `json:"old"`
	New       Release   `json:"new"`
	Conflicts []Finding `json:"conflicts"`
	Info      []Finding `json:"info"`
	// Warnings are analysis warnings (a release whose harness does not
	// build, say): printed in text, kept out of the pinned JSON shape.
	Warnings []string `json:"-"`
}

// Normalize sorts and de-duplicates both lists and keeps them non-nil so
// JSON prints [] rather than null.
func (r *Report) Normalize() {
	r.Conflicts = Sort(r.Conflicts)
	r.Info = Sort(r.Info)
	if r.Conflicts == nil {
		r.Conflicts = []Finding{}
	}
	if r.Info == nil {
		r.Info = []Finding{}
	}
	sort.Strings(r.Warnings)
}
