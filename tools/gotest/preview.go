package gotest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
)

// Result is the overlay's tests across a release change.
type Result struct {
	// New is every overlay package under the new release.
	New *Run
	// Old is New's failing tests (only those) under the old release; nil
	// when the old side was not run.
	Old *Run
	// Rerendered is New's failing tests under the new release once more:
	// in a run with -update for the packages whose tests define it (which
	// re-renders their goldens, in the preview copy only), then without
	// it for the others; nil when no failing package defines -update.
	Rerendered *Run
	// Updated lists the packages whose -update run took the flag: the
	// packages a maintainer re-renders.
	Updated []string
}

// Compare runs pkgs (patterns relative to a tree, "./overlay/...") in the
// new tree; when a test fails it runs the failing tests in the old tree (a
// test that fails there too is not the release's doing) and once more in
// the new tree after -update, so a golden test that only follows the
// stock XML is told apart from a break.
//
// Each tree is first synced into a stable directory under cache (one per
// side), writing only files whose content changed: the go command's test
// cache keys on the test binary and the files a test opens (path, size,
// mtime), so a temporary tree per run would never hit it. sides are the
// files and folders of a tree the tests build from (go.mod, upstream, the
// overlay's). A lock file serialises two runs over one cache directory.
func Compare(ctx context.Context, cache, oldDir, newDir string, sides, pkgs []string) (*Result, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("test preview: %w", err)
	}
	unlock, err := lockDir(cache)
	if err != nil {
		return nil, err
	}
	defer unlock()
	newSide := filepath.Join(cache, "new")
	if err := Sync(newDir, newSide, sides); err != nil {
		return nil, fmt.Errorf("test preview: %w", err)
	}
	res := &Result{}
	if res.New, err = Go(ctx, newSide, pkgs); err != nil {
		return nil, err
	}
	if len(res.New.Failed) == 0 {
		return res, nil
	}
	failing, run := failingSet(res.New.Failed)
	oldSide := filepath.Join(cache, "old")
	if err := Sync(oldDir, oldSide, sides); err != nil {
		return nil, fmt.Errorf("test preview: %w", err)
	}
	// The old side may not build these packages at all (a package the
	// overlay added with the release): its build failures only say that.
	if res.Old, err = Go(ctx, oldSide, failing, "-run", run); err != nil {
		return nil, err
	}
	// Only packages whose tests define -update re-render; a golden test
	// passes in that run itself (it writes, then compares), so only the
	// other failing packages run once more, over the re-rendered goldens.
	var withFlag, plain []string
	for _, p := range failing {
		if definesUpdate(filepath.Join(newSide, p)) {
			withFlag = append(withFlag, p)
		} else {
			plain = append(plain, p)
		}
	}
	if len(withFlag) == 0 {
		return res, nil
	}
	upd, err := Go(ctx, newSide, withFlag, "-run", run, "-update")
	if err != nil {
		return nil, err
	}
	res.Rerendered = &Run{}
	for _, p := range withFlag {
		p = strings.TrimPrefix(p, "./")
		if slices.Contains(upd.NoUpdate, p) {
			plain = append(plain, "./"+p)
			continue
		}
		res.Updated = append(res.Updated, p)
		for _, t := range upd.Failed {
			if t.Package == p {
				res.Rerendered.Failed = append(res.Rerendered.Failed, t)
			}
		}
	}
	if len(plain) > 0 {
		again, err := Go(ctx, newSide, plain, "-run", run)
		if err != nil {
			return nil, err
		}
		res.Rerendered.Failed = append(res.Rerendered.Failed, again.Failed...)
		res.Rerendered.Builds = again.Builds
	}
	// The goldens written by -update are the release's; the next sync
	// puts the tree's back.
	return res, nil
}

// definesUpdate reports whether a package's tests declare the -update
// flag (`flag.Bool("update", ...)`, the golden-file idiom).
func definesUpdate(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		found := false
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return !found
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			lit, isLit := call.Args[0].(*ast.BasicLit)
			if ok && x.Name == "flag" && isLit && lit.Value == `"update"` {
				found = true
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// failingSet is the failing tests' packages, as patterns, and a -run
// pattern matching their top-level functions.
func failingSet(ts []Test) (pkgs []string, run string) {
	var names []string
	for _, t := range ts {
		if p := "./" + t.Package; !slices.Contains(pkgs, p) {
			pkgs = append(pkgs, p)
		}
		if t.Name != "" && !slices.Contains(names, t.Name) {
			names = append(names, regexp.QuoteMeta(t.Name))
		}
	}
	slices.Sort(pkgs)
	slices.Sort(names)
	if len(names) == 0 {
		return pkgs, "."
	}
	return pkgs, "^(" + strings.Join(names, "|") + ")$"
}

// CacheDir is the stable preview directory of the repository at root: one
// per repository, so two worktrees never share (or fight over) one.
func CacheDir(root string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("test preview: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("test preview: %w", err)
	}
	h := sha256.Sum256([]byte(abs))
	return filepath.Join(base, "strata", "tests", hex.EncodeToString(h[:6])), nil
}

// Sync makes dst a copy of the regular files of src's sides (relative
// files or folders; a missing one is skipped): a file whose content is
// unchanged keeps its mtime, and every other file of dst is removed.
func Sync(src, dst string, sides []string) error {
	want := map[string]bool{}
	copyFile := func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		want[rel] = true
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if have, err := os.ReadFile(target); err == nil && bytes.Equal(have, b) {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("sync %s to %s: %w", src, dst, err)
	}
	var err error
	for _, side := range sides {
		if _, serr := os.Stat(filepath.Join(src, side)); errors.Is(serr, fs.ErrNotExist) {
			continue
		}
		if err = filepath.WalkDir(filepath.Join(src, side), copyFile); err != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("sync %s to %s: %w", src, dst, err)
	}
	var stale []string
	err = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		if !d.IsDir() && !want[rel] {
			stale = append(stale, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync %s to %s: %w", src, dst, err)
	}
	for _, p := range stale {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("sync %s to %s: %w", src, dst, err)
		}
	}
	return nil
}

// lockDir holds an exclusive flock on dir/lock until the returned func runs.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("test preview: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("test preview: lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
