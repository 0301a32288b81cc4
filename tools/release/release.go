// Package release materialises a release (a directory laid out like
// upstream/, or a git ref whose upstream/ is used) into a temporary copy of
// the tree, and reads, writes and verifies upstream/UPSTREAM.
package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
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

// Provenance is upstream/UPSTREAM.
type Provenance struct {
	Name, Version, Source, Tree string
}

// Format prints the four lines.
func (p Provenance) Format() string {
	return fmt.Sprintf("name %s\nversion %s\nsource %s\ntree %s\n", p.Name, p.Version, p.Source, p.Tree)
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
		}
	}
	return p, nil
}

// TreeHash is dirhash.Hash1 over dir as "upstream/...", leaving out
// UPSTREAM itself (it holds the hash).
func TreeHash(dir string) (string, error) {
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
		return "", fmt.Errorf("tree hash of %s: %w", dir, err)
	}
	h, err := dirhash.Hash1(prefixed(files), func(name string) (io.ReadCloser, error) {
		return os.Open(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, "upstream/"))))
	})
	if err != nil {
		return "", fmt.Errorf("tree hash of %s: %w", dir, err)
	}
	return h, nil
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
	h, err := TreeHash(dir)
	if err != nil {
		return err
	}
	if p.Tree != h {
		return fmt.Errorf("upstream/ does not match %s: recorded %s, found %s", File, p.Tree, h)
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
	h, err := TreeHash(staged)
	if err != nil {
		return Provenance{}, err
	}
	p := Provenance{Name: name, Version: version, Source: spec, Tree: h}
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
