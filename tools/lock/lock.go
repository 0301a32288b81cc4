// Package lock keeps the lock (strata.yaml's lock.file, this repository's
// overlay/strata.lock): what the conflict passes need of upstream as last
// reconciled, one fact per line, sorted, like go.sum (the
// format is in package tools' doc). The lock knows no pass: each Kind of
// line records itself from a loaded tree and restores itself into the old
// side, and each pass lists the kinds it reads (pass.Pass.Lock), so check
// runs the same passes as diff with the lock as its old release.
package lock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go/types"

	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

// Where the lock lives is the layout's: lock.file, and lock.dir for the
// recorded originals of stamped copies and the files of kinds that keep
// more than a line (Line.Blob).

// Line is one line of the lock: "<kind> <key> <data>", where data is the
// rest of the line (it may hold spaces). Blob, when set, is kept beside the
// lock in <lock.dir>/<kind>/<key> and read back by the kind's Restore.
type Line struct {
	Kind, Key, Data string
	Blob            []byte
	Pos             touchpoints.Pos // the overlay position that needs it, when one does; not written
}

// ID is the line's kind and key: one line per ID.
func (l Line) ID() string { return l.Kind + " " + l.Key }

// Old is the old side a check rebuilds: a tree holding the overlay's touch
// points as they are now and upstream's facts as the lock recorded them.
type Old struct {
	Root string // the repository
	Dir  string // its lock folder (absolute), for Blob files
	Tree *touchpoints.Tree
	XML  stockxml.Corpus // nil unless a kind restores it
}

// Kind is one sort of lock line, owned by the pass (or passes) that read
// it: Record lists its lines from a loaded tree (xml nil when the corpus
// did not render), Restore puts lines recorded earlier into the old side.
type Kind struct {
	Name    string // the first word of its lines
	Doc     string
	Record  func(t *touchpoints.Tree, xml stockxml.Corpus) []Line
	Restore func(ls []Line, old *Old) error
	// NeedsXML: Record needs the rendered corpus, so with no render the
	// kind's lines are kept as recorded and not compared.
	NeedsXML bool
	// Derived: its lines follow from upstream's facts around the touch
	// points (what the overlay reaches or has promoted), not from the touch
	// points themselves, so a line a release adds or drops is for the
	// passes to judge, not a lock finding; accept re-records it.
	Derived bool
}

// Record lists every kind's lines for a tree, sorted, one per kind and key
// (the first recorded wins, so kinds record in file order).
func Record(kinds []*Kind, t *touchpoints.Tree, xml stockxml.Corpus) []Line {
	seen := map[string]bool{}
	var out []Line
	for _, k := range kinds {
		if k.NeedsXML && xml == nil {
			continue
		}
		for _, l := range k.Record(t, xml) {
			l.Kind = k.Name
			if seen[l.ID()] {
				continue
			}
			seen[l.ID()] = true
			out = append(out, l)
		}
	}
	sortLines(out)
	return out
}

func sortLines(ls []Line) { sort.Slice(ls, func(i, j int) bool { return ls[i].ID() < ls[j].ID() }) }

const header = "# strata.lock: upstream/ as the overlay last reconciled with it; each kind belongs to the passes that read it (strata accept writes it)\n"

// Format prints the lock.
func Format(ls []Line) string {
	var b strings.Builder
	b.WriteString(header)
	for _, l := range ls {
		fmt.Fprintf(&b, "%s %s %s\n", l.Kind, l.Key, l.Data)
	}
	return b.String()
}

// Parse reads a lock (no blobs); name is the file, for errors.
func Parse(name string, b []byte) ([]Line, error) {
	var ls []Line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"kind key data\"", name, n)
		}
		ls = append(ls, Line{Kind: f[0], Key: f[1], Data: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return ls, nil
}

// Read parses root's lock.
func Read(root string) ([]Line, error) {
	lay, err := layout.Load(root)
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	b, err := os.ReadFile(layout.Abs(root, lay.Lock.File))
	if err != nil {
		return nil, fmt.Errorf("%w (run strata accept to create it)", err)
	}
	return Parse(lay.Lock.File, b)
}

// DirOf is the lock folder of the tree at root, absolute.
func DirOf(lay *layout.Layout, root string) string { return layout.Abs(root, lay.Lock.Dir) }

// BlobPath is where a line's blob lives under the lock folder dir.
func BlobPath(dir string, l Line) string {
	return filepath.Join(dir, l.Kind, fileName(l.Key))
}

// ReadBlob reads a recorded line's blob from the lock folder dir.
func ReadBlob(dir string, l Line) ([]byte, error) {
	b, err := os.ReadFile(BlobPath(dir, l))
	if err != nil {
		return nil, fmt.Errorf("lock %s %s: %w", l.Kind, l.Key, err)
	}
	return b, nil
}

func fileName(key string) string {
	return strings.NewReplacer("/", "_", "*", "_", "(", "_", ")", "_").Replace(key)
}

// OriginalPath is where the recorded original of a stamped copy lives
// under the lock folder dir.
func OriginalPath(dir, symbol string) string {
	return filepath.Join(dir, fileName(symbol)+".go.txt")
}

// Restore builds the old side from recorded lines: the overlay's touch
// points of t (the overlay is the one being checked) and upstream as each
// kind restores it. A line of a kind no pass owns is an error.
func Restore(root string, kinds []*Kind, t *touchpoints.Tree, ls []Line) (*Old, error) {
	old := &Old{Root: root, Dir: DirOf(t.Layout, root), Tree: &touchpoints.Tree{
		Root: t.Root, Module: t.Module, Layout: t.Layout,
		Objects: map[string]*touchpoints.Object{}, Packages: map[string]*types.Package{},
		Uses: t.Uses, Embeds: t.Embeds, Overrides: t.Overrides, Stamps: t.Stamps,
		Reads: t.Reads, Writes: t.Writes,
	}}
	for _, r := range t.Routes {
		if r.Side == touchpoints.Overlay {
			old.Tree.Routes = append(old.Tree.Routes, r)
		}
	}
	for _, s := range t.Settings {
		if s.Side == touchpoints.Overlay {
			old.Tree.Settings = append(old.Tree.Settings, s)
		}
	}
	by := map[string][]Line{}
	for _, l := range ls {
		by[l.Kind] = append(by[l.Kind], l)
	}
	var errs []error
	for _, k := range kinds {
		if err := k.Restore(by[k.Name], old); err != nil {
			errs = append(errs, fmt.Errorf("lock kind %s: %w", k.Name, err))
		}
		delete(by, k.Name)
	}
	for name := range by {
		errs = append(errs, fmt.Errorf("%s: lines of kind %q, which no pass reads (strata accept drops them)", t.Layout.Lock.File, name))
	}
	return old, errors.Join(errs...)
}

// Kinds is the de-duplicated union of kind lists, in order.
func Kinds(lists ...[]*Kind) []*Kind {
	seen := map[*Kind]bool{}
	var out []*Kind
	for _, l := range lists {
		for _, k := range l {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// Load loads the tree and, when layers exist, renders its corpus; a corpus
// that does not render is a warning.
func Load(ctx context.Context, root string, noXML bool) (*touchpoints.Tree, stockxml.Corpus, []string, error) {
	t, err := touchpoints.Load(root)
	if err != nil {
		return nil, nil, nil, err
	}
	var warn []string
	var xml stockxml.Corpus
	if len(t.Writes) > 0 && !noXML {
		xml, err = stockxml.RenderTree(ctx, root)
		if err != nil {
			warn = append(warn, fmt.Sprintf("xml-overlap: %v", err))
		}
	}
	return t, xml, warn, nil
}

// Accept rewrites the lock, its blobs and the recorded originals from the
// tree. A copy's original is rewritten only when the copy's stamp matches
// the current upstream original: otherwise the recorded one stays the base
// for refresh. With noXML the lines of kinds that need the corpus are kept
// as recorded.
func Accept(ctx context.Context, root string, kinds []*Kind, noXML bool) (int, error) {
	t, xml, _, err := Load(ctx, root, noXML)
	if err != nil {
		return 0, err
	}
	if xml == nil && !noXML && len(t.Writes) > 0 {
		return 0, fmt.Errorf("accept: the stock corpus does not render, so the xml lines cannot be recorded (--no-xml to skip them)")
	}
	ls := Record(kinds, t, xml)
	if xml == nil {
		if old, err := Read(root); err == nil {
			for _, l := range old {
				for _, k := range kinds {
					if k.Name == l.Kind && k.NeedsXML {
						ls = append(ls, l)
					}
				}
			}
			sortLines(ls)
		}
	}
	dir := DirOf(t.Layout, root)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("accept: %w", err)
	}
	for _, s := range t.Stamps {
		o := t.Object(s.Symbol)
		if o == nil || o.Hash != s.Fingerprint {
			continue
		}
		if err := os.WriteFile(OriginalPath(dir, s.Symbol), []byte(o.Source+"\n"), 0o644); err != nil {
			return 0, fmt.Errorf("accept: %w", err)
		}
	}
	if err := writeBlobs(dir, kinds, ls); err != nil {
		return 0, fmt.Errorf("accept: %w", err)
	}
	if err := os.WriteFile(layout.Abs(root, t.Layout.Lock.File), []byte(Format(ls)), 0o644); err != nil {
		return 0, fmt.Errorf("accept: %w", err)
	}
	return len(ls), nil
}

// writeBlobs writes each blob and removes a kind's files no line names, so
// the folder holds exactly what the lock records.
func writeBlobs(dir string, kinds []*Kind, ls []Line) error {
	keep := map[string]bool{}
	for _, l := range ls {
		if l.Blob == nil {
			continue
		}
		p := BlobPath(dir, l)
		keep[p] = true
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, l.Blob, 0o644); err != nil {
			return err
		}
	}
	for _, k := range kinds {
		files, _ := filepath.Glob(filepath.Join(dir, k.Name, "*"))
		for _, f := range files {
			if !keep[f] && !kept(ls, dir, f) {
				if err := os.Remove(f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// kept: a blob of a line kept as recorded (no render) stays.
func kept(ls []Line, dir, f string) bool {
	for _, l := range ls {
		if l.Blob == nil && BlobPath(dir, l) == f {
			return true
		}
	}
	return false
}
