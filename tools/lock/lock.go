// Package lock keeps overlay/strata.lock: every touch point with its
// fingerprint as last reconciled, one per line, sorted, like go.sum (the
// format is in package tools' doc). Check recomputes the tree's and
// compares; Accept rewrites it.
package lock

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// File is the lock, relative to the repository root; Dir holds the
// recorded originals of stamped copies.
const (
	File = "overlay/strata.lock"
	Dir  = "overlay/strata.lock.d"
)

// Entry is one line.
type Entry struct {
	Kind, Symbol, Fingerprint string
	Pos                       touchpoints.Pos // overlay side; not written
}

func (e Entry) key() string { return e.Kind + " " + e.Symbol }

// Compute lists the tree's touch points with their fingerprints. xml may
// be nil (then no xml lines).
func Compute(t *touchpoints.Tree, xml stockxml.Corpus) []Entry {
	m := map[string]Entry{}
	add := func(e Entry) {
		if old, ok := m[e.key()]; ok && lessPos(old.Pos, e.Pos) {
			return
		}
		m[e.key()] = e
	}
	typeOf := func(sym string) string {
		if o := t.Object(sym); o != nil {
			return touchpoints.Hash(o.Type)
		}
		return "absent"
	}
	bodyOf := func(sym string) string {
		if o := t.Object(sym); o != nil && o.Hash != "" {
			return o.Hash
		}
		return "absent"
	}
	for _, u := range t.Uses {
		add(Entry{"use", u.Symbol, typeOf(u.Symbol), u.Pos})
		if u.Call {
			add(Entry{"call", u.Symbol, bodyOf(u.Symbol), u.Pos})
		}
	}
	for _, e := range t.Embeds {
		add(Entry{"embed", e.Symbol, typeOf(e.Symbol), e.Pos})
	}
	for _, o := range t.Overrides {
		add(Entry{"override", o.Symbol, "sig:" + typeOf(o.Symbol) + ",body:" + bodyOf(o.Symbol), o.Pos})
	}
	for _, s := range t.Stamps {
		add(Entry{"copy", s.Symbol, s.Fingerprint, s.Pos})
	}
	up := map[string]string{}
	for _, r := range t.Routes {
		if r.Side == "upstream" {
			up[r.Path] = mode(r.Async)
		}
	}
	for _, r := range t.Routes {
		if r.Side == "overlay" {
			fp := mode(r.Async) + ",upstream:" + orNone(up[r.Path])
			if r.Wraps != "" {
				fp += ",wraps:" + r.Wraps + "=" + orNone(up[r.Wraps])
			}
			add(Entry{"route", r.Path, fp, r.Pos})
		}
	}
	upS := map[string]string{}
	own := map[string]bool{}
	for _, s := range t.Settings {
		if s.Side == "upstream" {
			upS[s.Key] = s.Type
		} else {
			own[s.Key] = true
		}
	}
	for _, s := range t.Settings {
		if s.Side == "overlay" {
			add(Entry{"setting", s.Key, "defines,upstream:" + orNone(upS[s.Key]), s.Pos})
		}
	}
	for _, r := range t.Reads {
		if !own[r.Key] {
			add(Entry{"setting", r.Key, "reads,upstream:" + orNone(upS[r.Key]), r.Pos})
		}
	}
	if xml != nil {
		// The stock XML where each layer was recorded writing, as
		// xml-overlap compares it (a read error goes into every hash).
		rec, recErr := stockxml.Recorded(t.Root)
		for _, w := range t.Writes {
			var b strings.Builder
			if recErr != nil {
				fmt.Fprintf(&b, "error: %v\x00", recErr)
			}
			paths, _ := stockxml.WritePaths(rec, w.Layer, w.Path)
			for _, name := range xml.Names() {
				if xml[name].Refused() {
					// A refused command has no XML to fingerprint.
					fmt.Fprintf(&b, "%s\x00refused\x00", name)
					continue
				}
				for _, p := range paths {
					vals, err := stockxml.At(xml[name], p)
					if err != nil {
						vals = []string{"error: " + err.Error()}
					}
					fmt.Fprintf(&b, "%s\x00%s\x00%s\x00", name, p, strings.Join(vals, "\x01"))
				}
			}
			add(Entry{"xml", w.Path, touchpoints.Hash(b.String()), w.Pos})
		}
	}
	out := make([]Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

func lessPos(a, b touchpoints.Pos) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Line < b.Line
}

func mode(async bool) string {
	if async {
		return "async"
	}
	return "sync"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Format prints the lock.
func Format(es []Entry) string {
	var b strings.Builder
	b.WriteString("# strata.lock: touch points of the overlay on upstream/ as last reconciled (strata accept writes it)\n")
	for _, e := range es {
		fmt.Fprintf(&b, "%s %s %s\n", e.Kind, e.Symbol, e.Fingerprint)
	}
	return b.String()
}

// Parse reads a lock.
func Parse(b []byte) ([]Entry, error) {
	var es []Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"kind symbol fingerprint\"", File, n)
		}
		es = append(es, Entry{Kind: f[0], Symbol: f[1], Fingerprint: f[2]})
	}
	return es, sc.Err()
}

// OriginalPath is where the recorded original of a stamped copy lives.
func OriginalPath(root, symbol string) string {
	name := strings.NewReplacer("/", "_", "*", "_", "(", "_", ")", "_").Replace(symbol)
	return filepath.Join(root, Dir, name+".go.txt")
}

// load loads the tree and, when layers exist, renders its corpus.
func load(ctx context.Context, root string, noXML bool) (*touchpoints.Tree, stockxml.Corpus, []string, error) {
	t, err := touchpoints.Load(root)
	if err != nil {
		return nil, nil, nil, err
	}
	var warn []string
	var xml stockxml.Corpus
	if len(t.Writes) > 0 && !noXML {
		xml, err = stockxml.Render(ctx, root, filepath.Join(root, "upstream", "vmplugin", "testdata"))
		if err != nil {
			warn = append(warn, fmt.Sprintf("xml-overlap: %v", err))
		}
	}
	return t, xml, warn, nil
}

// Accept rewrites the lock and the recorded originals from the tree. A
// copy's original is rewritten only when the copy's stamp matches the
// current upstream original: otherwise the recorded one stays the base for
// refresh.
func Accept(ctx context.Context, root string, noXML bool) (int, error) {
	t, xml, _, err := load(ctx, root, noXML)
	if err != nil {
		return 0, err
	}
	es := Compute(t, xml)
	if xml == nil && !noXML && len(t.Writes) > 0 {
		return 0, fmt.Errorf("accept: the stock corpus does not render, so the xml lines cannot be recorded (--no-xml to skip them)")
	}
	if noXML {
		// Keep the recorded xml lines rather than drop them.
		if b, err := os.ReadFile(filepath.Join(root, File)); err == nil {
			if old, err := Parse(b); err == nil {
				for _, e := range old {
					if e.Kind == "xml" {
						es = append(es, e)
					}
				}
				sort.Slice(es, func(i, j int) bool { return es[i].key() < es[j].key() })
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(root, Dir), 0o755); err != nil {
		return 0, fmt.Errorf("accept: %w", err)
	}
	for _, s := range t.Stamps {
		o := t.Object(s.Symbol)
		if o == nil || o.Hash != s.Fingerprint {
			continue
		}
		if err := os.WriteFile(OriginalPath(root, s.Symbol), []byte(o.Source+"\n"), 0o644); err != nil {
			return 0, fmt.Errorf("accept: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, File), []byte(Format(es)), 0o644); err != nil {
		return 0, fmt.Errorf("accept: %w", err)
	}
	return len(es), nil
}

// classOf maps a lock kind to the report class of a changed fingerprint.
func classOf(e Entry, old string) (string, string) {
	switch e.Kind {
	case "use", "embed":
		return "api-break", finding.Error
	case "call":
		return "behavior-change", finding.Warning
	case "override":
		if sigOf(old) != sigOf(e.Fingerprint) {
			return "override-lost", finding.Error
		}
		return "override-drift", finding.Warning
	case "copy":
		return "copy-drift", finding.Error
	case "route":
		return "route-change", finding.Error
	case "setting":
		return "settings-change", finding.Error
	case "xml":
		return "xml-overlap", finding.Error
	}
	return "lock", finding.Error
}

func sigOf(fp string) string { s, _, _ := strings.Cut(fp, ","); return s }

// Check compares the tree with the lock, with no old release at hand.
func Check(ctx context.Context, root string, noXML bool) (*finding.Report, error) {
	t, xml, warn, err := load(ctx, root, noXML)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, File))
	if err != nil {
		return nil, fmt.Errorf("check: %w (run strata accept to create it)", err)
	}
	locked, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	up := filepath.Join(root, "upstream")
	p, _ := release.ReadProvenance(up)
	rep := &finding.Report{Old: finding.Release{Version: "lock"}, New: finding.Release{Version: p.Version, Tree: p.Tree}, Warnings: warn}
	cur := map[string]Entry{}
	for _, e := range Compute(t, xml) {
		cur[e.key()] = e
	}
	lk := map[string]Entry{}
	for _, e := range locked {
		lk[e.key()] = e
	}
	for k, e := range cur {
		if e.Kind == "xml" && xml == nil {
			continue
		}
		l, ok := lk[k]
		switch {
		case !ok:
			rep.Conflicts = append(rep.Conflicts, finding.Finding{Class: "lock", Severity: finding.Error, Symbol: e.Symbol, Overlay: e.Pos,
				Message: fmt.Sprintf("%s touch point %s is not in the lock", e.Kind, e.Symbol), Action: "review it, then run strata accept"})
		case l.Fingerprint != e.Fingerprint:
			class, sev := classOf(e, l.Fingerprint)
			rep.Conflicts = append(rep.Conflicts, finding.Finding{Class: class, Severity: sev, Symbol: e.Symbol, Overlay: e.Pos,
				Message: fmt.Sprintf("%s %s changed since the lock (%s, now %s)", e.Kind, e.Symbol, l.Fingerprint, e.Fingerprint),
				Action:  "resolve the change, then run strata accept"})
		}
	}
	for k, l := range lk {
		if _, ok := cur[k]; !ok && !(l.Kind == "xml" && xml == nil) {
			rep.Conflicts = append(rep.Conflicts, finding.Finding{Class: "lock", Severity: finding.Error, Symbol: l.Symbol,
				Message: fmt.Sprintf("%s %s is in the lock but no longer a touch point", l.Kind, l.Symbol), Action: "run strata accept"})
		}
	}
	for _, s := range t.Stamps {
		o := t.Object(s.Symbol)
		if o == nil || o.Hash != s.Fingerprint {
			msg := fmt.Sprintf("copy of %s drifted: the original in upstream/ no longer matches the stamp", s.Symbol)
			if o == nil {
				msg = fmt.Sprintf("the original of copy %s, %s, is gone from upstream/", s.Overlay, s.Symbol)
			}
			f := finding.Finding{Class: "copy-drift", Severity: finding.Error, Symbol: s.Symbol, Overlay: s.Pos, Message: msg,
				Action: "run strata refresh " + s.Symbol}
			if o != nil {
				f.Upstream.New = finding.PosOf(o.Pos)
			}
			rep.Conflicts = append(rep.Conflicts, f)
		}
	}
	for _, e := range t.Errors {
		rep.Conflicts = append(rep.Conflicts, finding.Finding{Class: "api-break", Severity: finding.Error, Overlay: e.Pos,
			Message: "the overlay does not build: " + e.Msg, Action: "adapt the overlay to upstream/"})
	}
	rep.Normalize()
	return rep, nil
}
