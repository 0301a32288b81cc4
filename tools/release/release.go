// Package release materialises a release (a directory laid out like
// upstream/, or a git ref whose upstream/ is used) into a temporary copy of
// the tree, and reads, writes and verifies upstream/UPSTREAM.
package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/dirhash"
)

// Sides copied next to the release: everything the overlay's build needs.
var copied = []string{"go.mod", "go.sum", "overlay", "linux2", "cmd/strata-agent"}

// Materialize builds a temporary tree: the root's go.mod, go.sum and
// overlay sides, with spec's release as upstream/. The caller removes dir.
func Materialize(root, spec string) (dir string, err error) {
	dir, err = os.MkdirTemp("", "strata-release-")
	if err != nil {
		return "", fmt.Errorf("materialise %s: %w", spec, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	for _, c := range copied {
		if err := CopyTree(filepath.Join(root, c), filepath.Join(dir, c)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("materialise %s: %w", spec, err)
		}
	}
	if err := Extract(root, spec, filepath.Join(dir, "upstream")); err != nil {
		return "", err
	}
	return dir, nil
}

// Extract writes spec's upstream folder to dst: a directory is copied, a git
// ref is read with `git archive REF upstream/`.
func Extract(root, spec, dst string) error {
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		if err := CopyTree(spec, dst); err != nil {
			return fmt.Errorf("release %s: %w", spec, err)
		}
		return nil
	}
	cmd := exec.Command("git", "-C", root, "archive", "--format=tar", spec, "upstream/")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("release %s: neither a directory nor a git ref with upstream/: %w: %s", spec, err, strings.TrimSpace(stderr.String()))
	}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("release %s: %w", spec, err)
		}
		rel, ok := strings.CutPrefix(h.Name, "upstream/")
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		p := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("release %s: %w", spec, err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("release %s: %w", spec, err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("release %s: %w", spec, err)
		}
	}
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

// File is the name of the provenance file inside upstream/.
const File = "UPSTREAM"

// Provenance is upstream/UPSTREAM: four header lines, then one
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

// ReadProvenance reads dir/UPSTREAM.
func ReadProvenance(dir string) (Provenance, error) {
	b, err := os.ReadFile(filepath.Join(dir, File))
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

// TreeHash is dirhash.Hash1 over dir as "upstream/...", leaving out
// UPSTREAM itself (it holds the hash). To recompute it by hand: for every
// file, the line "<sha256sum hex>  upstream/<path>\n" sorted by path; the
// hash is "h1:" + base64(sha256(those lines)).
func TreeHash(dir string) (string, error) {
	h, _, err := treeHashFiles(dir)
	return h, err
}

// treeHashFiles also returns each file's sha256, keyed as in UPSTREAM.
func treeHashFiles(dir string) (string, map[string]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			if rel != File {
				files = append(files, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("tree hash of %s: %w", dir, err)
	}
	open := func(name string) (io.ReadCloser, error) {
		return os.Open(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, "upstream/"))))
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
		out[i] = "upstream/" + f
	}
	return out
}

// Verify checks that dir matches its UPSTREAM.
func Verify(dir string) error {
	p, err := ReadProvenance(dir)
	if err != nil {
		return err
	}
	h, sums, err := treeHashFiles(dir)
	if err != nil {
		return err
	}
	if p.Tree != h {
		files := "(UPSTREAM lists no files to compare)"
		if p.Files != nil {
			files = strings.Join(Differing(p.Files, sums), ", ")
		}
		return fmt.Errorf("upstream/ does not match %s (version %s): recorded %s, found %s; files: %s", File, p.Version, p.Tree, h, files)
	}
	return nil
}

// Import replaces root/upstream with spec's release and writes UPSTREAM.
func Import(root, spec, name, version string) (Provenance, error) {
	tmp, err := os.MkdirTemp("", "strata-import-")
	if err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "upstream")
	if err := Extract(root, spec, staged); err != nil {
		return Provenance{}, err
	}
	h, sums, err := treeHashFiles(staged)
	if err != nil {
		return Provenance{}, err
	}
	p := Provenance{Name: name, Version: version, Source: spec, Tree: h, Files: sums}
	if err := os.WriteFile(filepath.Join(staged, File), []byte(p.Format()), 0o644); err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	up := filepath.Join(root, "upstream")
	if err := os.RemoveAll(up); err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	if err := CopyTree(staged, up); err != nil {
		return Provenance{}, fmt.Errorf("import: %w", err)
	}
	return p, nil
}
