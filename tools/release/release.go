// Package release materialises a release (a directory laid out like the
// upstream folder, or a git ref whose upstream folder is used) into a
// temporary copy of the tree, and reads, writes and verifies the upstream
// folder's provenance file (both named by the tree's strata.yaml).
package release

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/strataagent/strata/tools/layout"
)

// Materialize builds a temporary tree: the root's go.mod, go.sum,
// strata.yaml and overlay folders (the layout travels with the tree), with
// spec's release as the upstream folder. The caller removes dir.
func Materialize(root, spec string) (dir string, err error) {
	lay, err := layout.Load(root)
	if err != nil {
		return "", fmt.Errorf("materialise %s: %w", spec, err)
	}
	dir, err = os.MkdirTemp("", "strata-release-")
	if err != nil {
		return "", fmt.Errorf("materialise %s: %w", spec, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	for _, c := range lay.Copied() {
		if err := CopyTree(layout.Abs(root, c), layout.Abs(dir, c)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("materialise %s: %w", spec, err)
		}
	}
	if err := extract(lay, root, spec, lay.UpstreamDir(dir)); err != nil {
		return "", err
	}
	return dir, nil
}

// Extract writes spec's upstream folder to dst: a directory is copied, a git
// ref is read with `git archive REF <upstream dir>/` (the folder root's
// layout names).
func Extract(root, spec, dst string) error {
	lay, err := layout.Load(root)
	if err != nil {
		return fmt.Errorf("release %s: %w", spec, err)
	}
	return extract(lay, root, spec, dst)
}

func extract(lay *layout.Layout, root, spec, dst string) error {
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		if err := CopyTree(spec, dst); err != nil {
			return fmt.Errorf("release %s: %w", spec, err)
		}
		return nil
	}
	up := lay.Upstream.Dir + "/"
	if err := gitArchive(root, spec, up, dst); err != nil {
		return fmt.Errorf("release %s: neither a directory nor a git ref with %s: %w", spec, up, err)
	}
	return nil
}

// CopyTree copies a file or a directory tree (regular files only).
func CopyTree(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return copyFile(src, dst)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// Upstream is an upstream folder and the name of its provenance file.
type Upstream struct {
	Dir  string
	File string
}

// Of is the upstream folder of the tree at root as lay names it.
func Of(lay *layout.Layout, root string) Upstream {
	return Upstream{Dir: lay.UpstreamDir(root), File: lay.Upstream.Provenance}
}

// hashPrefix is the folder every file's name in the tree hash (and the
// provenance file's lines) starts with: a role label, not the folder's name
// in the tree, so a tree hash does not change when the folder moves.
const hashPrefix = "upstream/"

// Provenance is the provenance file: four header lines, then one
// "file <sha256> upstream/<path>" line per file, the lines dirhash.Hash1
// hashes (so `tree` is the sha256 of exactly those lines, base64 after
// "h1:"), which lets Verify name the files that differ.
type Provenance struct {
	Name, Version, Source, Tree string
	Files                       map[string]string // "upstream/<path>" -> sha256 hex
}

// Format prints the header lines and the file lines, sorted by path.
func (p Provenance) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "name %s\nversion %s\nsource %s\ntree %s\n", p.Name, p.Version, p.Source, p.Tree)
	names := make([]string, 0, len(p.Files))
	for n := range p.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "file %s %s\n", p.Files[n], n)
	}
	return b.String()
}

// ReadProvenance reads the provenance file.
func (u Upstream) ReadProvenance() (Provenance, error) {
	b, err := os.ReadFile(filepath.Join(u.Dir, u.File))
	if err != nil {
		return Provenance{}, fmt.Errorf("read provenance: %w", err)
	}
	var p Provenance
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		switch k {
		case "name":
			p.Name = v
		case "version":
			p.Version = v
		case "source":
			p.Source = v
		case "tree":
			p.Tree = v
		case "file":
			sum, name, ok := strings.Cut(v, " ")
			if !ok {
				return Provenance{}, fmt.Errorf("read provenance: bad file line %q", sc.Text())
			}
			if p.Files == nil {
				p.Files = map[string]string{}
			}
			p.Files[name] = sum
		}
	}
	return p, nil
}

// TreeHash is dirhash.Hash1 over the folder as "upstream/...", leaving out
// the provenance file itself (it holds the hash). To recompute it by hand:
// for every file, the line "<sha256sum hex>  upstream/<path>\n" sorted by
// path; the hash is "h1:" + base64(sha256(those lines)).
func (u Upstream) TreeHash() (string, error) {
	h, _, err := u.treeHashFiles()
	return h, err
}

// treeHashFiles also returns each file's sha256, keyed as in the
// provenance file.
func (u Upstream) treeHashFiles() (string, map[string]string, error) {
	dir := u.Dir
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			if rel != u.File {
				files = append(files, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("tree hash of %s: %w", dir, err)
	}
	open := func(name string) (io.ReadCloser, error) {
		return os.Open(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, hashPrefix))))
	}
	h, err := dirhash.Hash1(prefixed(files), open)
	if err != nil {
		return "", nil, fmt.Errorf("tree hash of %s: %w", dir, err)
	}
	sums := map[string]string{}
	for _, name := range prefixed(files) {
		f, err := open(name)
		if err != nil {
			return "", nil, fmt.Errorf("tree hash of %s: %w", dir, err)
		}
		d := sha256.New()
		_, err = io.Copy(d, f)
		f.Close()
		if err != nil {
			return "", nil, fmt.Errorf("tree hash of %s: %w", dir, err)
		}
		sums[name] = hex.EncodeToString(d.Sum(nil))
	}
	return h, sums, nil
}

// Differing names the files whose sums differ between want and got:
// changed, missing from got, or new in got.
func Differing(want, got map[string]string) []string {
	var out []string
	for n, w := range want {
		switch g, ok := got[n]; {
		case !ok:
			out = append(out, n+" (missing)")
		case g != w:
			out = append(out, n+" (changed)")
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			out = append(out, n+" (added)")
		}
	}
	sort.Strings(out)
	return out
}

func prefixed(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = hashPrefix + f
	}
	return out
}

// Verify checks that the folder matches its provenance file.
func (u Upstream) Verify() error {
	p, err := u.ReadProvenance()
	if err != nil {
		return err
	}
	h, sums, err := u.treeHashFiles()
	if err != nil {
		return err
	}
	if p.Tree != h {
		files := fmt.Sprintf("(%s lists no files to compare)", u.File)
		if p.Files != nil {
			files = strings.Join(Differing(p.Files, sums), ", ")
		}
		return fmt.Errorf("%s/ does not match %s (version %s): recorded %s, found %s; files: %s", filepath.Base(u.Dir), u.File, p.Version, p.Tree, h, files)
	}
	return nil
}

// Import replaces root's upstream folder with spec's release and writes its
// provenance file.
func Import(root, spec, name, version string) (Provenance, error) {
	lay, err := layout.Load(root)
	if err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	tmp, err := os.MkdirTemp("", "strata-import-")
	if err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(tmp)
	staged := Upstream{Dir: filepath.Join(tmp, "staged"), File: lay.Upstream.Provenance}
	if err := extract(lay, root, spec, staged.Dir); err != nil {
		return Provenance{}, err
	}
	h, sums, err := staged.treeHashFiles()
	if err != nil {
		return Provenance{}, err
	}
	p := Provenance{Name: name, Version: version, Source: spec, Tree: h, Files: sums}
	if err := os.WriteFile(filepath.Join(staged.Dir, staged.File), []byte(p.Format()), 0o644); err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	up := lay.UpstreamDir(root)
	if err := os.RemoveAll(up); err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	if err := CopyTree(staged.Dir, up); err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	return p, nil
}
