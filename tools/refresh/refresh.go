// Package refresh 3-way merges drifted stamped copies: base is the original
// recorded in overlay/strata.lock.d, theirs the original in upstream/ now,
// ours the overlay's copy; `git merge-file` (run by argv) merges. A clean
// merge rewrites the copy and its stamp; a conflicted one leaves the
// markers in the copy for a person (the stamp is updated too, so once the
// markers are resolved the copy counts as refreshed; until then the file
// does not build and check fails).
package refresh

import (
	"golang.org/x/tools/imports"

	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/touchpoints"
)

// Result is what happened to one copy.
type Result struct {
	Symbol, Overlay string
	Status          string // "up to date", "merged", "conflict"
	Conflicts       int
}

func (r Result) String() string {
	if r.Status == "conflict" {
		return fmt.Sprintf("%s (copy of %s): %d conflicts left as markers", r.Overlay, r.Symbol, r.Conflicts)
	}
	return fmt.Sprintf("%s (copy of %s): %s", r.Overlay, r.Symbol, r.Status)
}

// ExitCode is 1 when a merge left conflicts.
func ExitCode(rs []Result) int {
	for _, r := range rs {
		if r.Status == "conflict" {
			return 1
		}
	}
	return 0
}

// Run refreshes the named copies (by upstream symbol), or every drifted one.
func Run(root string, symbols []string) ([]Result, error) {
	t, err := touchpoints.Load(root)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range symbols {
		want[s] = true
	}
	stamps := append([]touchpoints.Stamp(nil), t.Stamps...)
	// Later copies first, so earlier offsets in the same file stay valid.
	sort.Slice(stamps, func(i, j int) bool {
		if stamps[i].File != stamps[j].File {
			return stamps[i].File < stamps[j].File
		}
		return stamps[i].Start > stamps[j].Start
	})
	var out []Result
	merged := map[string]bool{} // files with a merged copy
	for _, s := range stamps {
		if len(want) > 0 && !want[s.Symbol] {
			continue
		}
		delete(want, s.Symbol)
		r, err := one(root, t, s)
		if err != nil {
			return out, fmt.Errorf("refresh %s: %w", s.Symbol, err)
		}
		if r.Status == "merged" {
			merged[s.File] = true
		}
		out = append(out, r)
	}
	for s := range want {
		return out, fmt.Errorf("refresh: no stamped copy of %s", s)
	}
	// The merged upstream lines may use a package the copy's file does not
	// import yet (an added fmt.Errorf): add it, as goimports would, once
	// every copy of the file is merged (it moves the offsets).
	for f := range merged {
		src, err := os.ReadFile(f)
		if err != nil {
			return out, err
		}
		if fixed, err := imports.Process(f, src, &imports.Options{Comments: true, TabIndent: true, TabWidth: 8}); err == nil {
			if err := os.WriteFile(f, fixed, 0o644); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func one(root string, t *touchpoints.Tree, s touchpoints.Stamp) (Result, error) {
	r := Result{Symbol: s.Symbol, Overlay: s.Overlay}
	o := t.Object(s.Symbol)
	if o == nil || o.Hash == "" {
		return r, fmt.Errorf("the original is gone from %s/; nothing to merge from", t.Layout.Upstream.Dir)
	}
	if o.Hash == s.Fingerprint {
		r.Status = "up to date"
		return r, nil
	}
	basePath := lock.OriginalPath(lock.DirOf(t.Layout, root), s.Symbol)
	base, err := os.ReadFile(basePath)
	if err != nil {
		return r, fmt.Errorf("no recorded original (%w); run strata accept before importing a release", err)
	}
	if fp, err := touchpoints.FingerprintSource(string(base)); err != nil || fp != s.Fingerprint {
		return r, fmt.Errorf("the recorded original %s does not match the stamp %s", basePath, s.Fingerprint)
	}
	src, err := os.ReadFile(s.File)
	if err != nil {
		return r, err
	}
	ours := string(src[s.Decl:s.End])
	tmp, err := os.MkdirTemp("", "strata-refresh-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	// The copy lives in another package and names the original's
	// package-level objects qualified (KVMStartVMPath is
	// vmplugin.KVMStartVMPath there): base and theirs are qualified the
	// same way first, so a line changed upstream merges with the copy's
	// line instead of conflicting with its qualification.
	qual := qualifier{scope: o.Obj.Pkg().Scope(), name: importName(src, o.Obj.Pkg().Path())}
	files := map[string]string{"ours": ours + "\n", "base": qual.apply(strings.TrimRight(string(base), "\n")) + "\n", "theirs": qual.apply(o.Source) + "\n"}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(tmp, n), []byte(c), 0o644); err != nil {
			return r, err
		}
	}
	cmd := exec.Command("git", "merge-file", "-p", "-L", "copy", "-L", "recorded original", "-L", "upstream",
		filepath.Join(tmp, "ours"), filepath.Join(tmp, "base"), filepath.Join(tmp, "theirs"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.Status = "merged"
	case errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() < 128:
		r.Status, r.Conflicts = "conflict", ee.ExitCode()
	default:
		return r, fmt.Errorf("git merge-file: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	merged := strings.TrimRight(stdout.String(), "\n")
	doc := strings.Replace(string(src[s.Start:s.Decl]), s.Symbol+" "+s.Fingerprint, s.Symbol+" "+o.Hash, 1)
	next := string(src[:s.Start]) + doc + merged + string(src[s.End:])
	if err := os.WriteFile(s.File, []byte(next), 0o644); err != nil {
		return r, err
	}
	if err := os.WriteFile(basePath, []byte(o.Source+"\n"), 0o644); err != nil {
		return r, err
	}
	return r, nil
}

// qualifier rewrites an upstream declaration's references to its own
// package's exported package-level objects as name.Object.
type qualifier struct {
	scope *types.Scope
	name  string // the copy's import name of the package; "" leaves src as is
}

// apply qualifies src, a declaration as written. The names are found with
// go/parser's resolution: identifiers the declaration neither declares
// nor selects, that the upstream package's scope holds.
func (q qualifier) apply(src string) string {
	if q.name == "" {
		return src
	}
	const header = "package p\n"
	f, err := parser.ParseFile(token.NewFileSet(), "", header+src, 0)
	if err != nil {
		return src
	}
	var offs []int
	for _, id := range f.Unresolved {
		if id.IsExported() && q.scope.Lookup(id.Name) != nil {
			offs = append(offs, int(id.Pos())-1-len(header)) // file base is 1
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(offs)))
	for _, off := range offs {
		if off >= 0 && off <= len(src) {
			src = src[:off] + q.name + "." + src[off:]
		}
	}
	return src
}

// importName is the name the file src imports path under, or "".
func importName(src []byte, path string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
	if err != nil {
		return ""
	}
	for _, is := range f.Imports {
		if p, _ := strconv.Unquote(is.Path.Value); p == path {
			if is.Name != nil {
				return is.Name.Name
			}
			return path[strings.LastIndex(path, "/")+1:]
		}
	}
	return ""
}
