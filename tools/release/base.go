package release

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// AtTree returns a directory holding the repository at root as it was when
// its upstream folder (upstreamDir, relative to root, with its provenance
// file) had the tree hash tree: root itself when upstream/ has that tree now, else the newest
// commit whose UPSTREAM file records it, written out with `git archive`
// (by argv) into a new temporary directory that the caller removes (temp
// is then true). A fixture made against a past release keeps testing the
// same inputs after upstream/ has moved on, instead of failing to apply or
// being skipped.
//
// commit, when not empty, names that commit (a fixture's BASE records it):
// it must record tree, and no search runs. A search walks the history for
// the last commit recording tree, which a branch merged in from elsewhere
// can make ambiguous; a recorded commit cannot be.
func AtTree(root, upstreamDir, provenanceFile, tree, commit string) (dir string, temp bool, err error) {
	have, err := Upstream{Dir: filepath.Join(root, upstreamDir), File: provenanceFile}.TreeHash()
	if err != nil {
		return "", false, err
	}
	if have == tree {
		return root, false, nil
	}
	file := path.Join(filepath.ToSlash(upstreamDir), provenanceFile)
	if commit == "" {
		if commit, err = commitWithTree(root, file, tree); err != nil {
			return "", false, err
		}
	} else if !records(root, commit, file, tree) {
		return "", false, fmt.Errorf("commit %s of %s does not record upstream tree %s in %s (a shallow clone? fetch the history)", commit, root, tree, file)
	}
	dir, err = os.MkdirTemp("", "strata-at-")
	if err != nil {
		return "", false, err
	}
	if err := archive(root, commit, dir); err != nil {
		os.RemoveAll(dir)
		return "", false, err
	}
	return dir, true, nil
}

// commitWithTree is the last commit whose provenance file records tree:
// the parent of the commit that next changed the file (the import after
// it), so the overlay, lock and goldens are those reconciled with that
// release, not the state of the import commit itself; HEAD when no
// commit changed it since. It walks first parents (the main line).
func commitWithTree(root, file, tree string) (string, error) {
	out, err := exec.Command("git", "-C", root, "log", "--first-parent", "--format=%H", "--", file).Output()
	if err != nil {
		return "", fmt.Errorf("history of %s: %w", file, err)
	}
	next := ""
	for _, c := range strings.Fields(string(out)) {
		if records(root, c, file, tree) {
			if next == "" {
				return "HEAD", nil
			}
			return next + "^", nil
		}
		next = c
	}
	return "", fmt.Errorf("no commit of %s records upstream tree %s in %s (a shallow clone? fetch the history)", root, tree, file)
}

// records reports whether commit's provenance file records tree.
func records(root, commit, file, tree string) bool {
	b, err := exec.Command("git", "-C", root, "show", commit+":"+file).Output()
	return err == nil && slices.Contains(strings.Split(string(b), "\n"), "tree "+tree)
}

// archive writes commit's whole tree (regular files) into dir.
func archive(root, commit, dir string) error {
	if err := gitArchive(root, commit, "", dir); err != nil {
		return fmt.Errorf("git archive %s: %w", commit, err)
	}
	return nil
}

// gitArchive writes the regular files under prefix ("" for all) of ref's
// tree into dir, the prefix cut off (`git archive`, by argv), keeping the
// executable bit.
func gitArchive(root, ref, prefix, dir string) error {
	args := []string{"-C", root, "archive", "--format=tar", ref}
	if prefix != "" {
		args = append(args, prefix)
	}
	cmd := exec.Command("git", args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rel, ok := strings.CutPrefix(h.Name, prefix)
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if !strings.HasPrefix(p, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("%q leaves the tree", h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if h.Mode&0o111 != 0 {
			mode = 0o755
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, b, mode); err != nil {
			return err
		}
	}
}

// Base is a release fixture's BASE file: the release it applies to, by
// version, tree hash and the commit that held it ("" when not recorded).
type Base struct{ Version, Tree, Commit string }

// ReadBase reads a BASE file ("version V", "tree H", "commit C" lines);
// the tree line is required.
func ReadBase(file string) (Base, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Base{}, err
	}
	var base Base
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, " ")
		switch k {
		case "version":
			base.Version = v
		case "tree":
			base.Tree = v
		case "commit":
			base.Commit = v
		}
	}
	if base.Tree == "" {
		return Base{}, fmt.Errorf("%s has no tree line", file)
	}
	return base, nil
}

// At is AtTree for the release base names.
func (b Base) At(root, upstreamDir, provenanceFile string) (dir string, temp bool, err error) {
	return AtTree(root, upstreamDir, provenanceFile, b.Tree, b.Commit)
}
