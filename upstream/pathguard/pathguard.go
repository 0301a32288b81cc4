// Package pathguard confines the paths the agent creates or removes on the
// host to configured directories. A command names such paths (the guest
// agent channel's socket), and the agent runs as root: without a guard any
// caller could make it create directories or delete files anywhere.
//
// A path is judged by where it really leads: ".." segments are cleaned away
// and symbolic links are resolved on the longest prefix that exists, so a
// link inside an allowed directory that points outside it does not pass.
// The check happens just before the agent touches the host; between the
// check and the operation only someone who can already write the allowed
// directories (root) could swap a component.
package pathguard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultDirs is where the management node puts guest agent channel
// sockets. A function, not a variable: nothing outside may change what the
// stock agent allows.
func DefaultDirs() []string { return []string{"/var/lib/libvirt/qemu"} }

// Guard allows paths inside Dirs. No Dirs allows nothing.
type Guard struct {
	Dirs []string
}

// OutsideError is a path a Guard refused.
type OutsideError struct {
	Path     string   // as the caller gave it
	Resolved string   // where it leads; "" when the same as Path or not absolute
	Dirs     []string // the allowed directories
	Reason   string   // "" for plainly outside; else why it cannot be judged or used
}

func (e *OutsideError) Error() string {
	p := e.Path
	if e.Resolved != "" && e.Resolved != e.Path {
		p += " (resolves to " + e.Resolved + ")"
	}
	if e.Reason != "" {
		return fmt.Sprintf("%s %s, allowed directories %v", p, e.Reason, e.Dirs)
	}
	return fmt.Sprintf("%s is outside the allowed directories %v", p, e.Dirs)
}

// ErrOutside matches every *OutsideError with errors.Is.
var ErrOutside = errors.New("path outside the allowed directories")

// Is makes errors.Is(err, ErrOutside) true.
func (e *OutsideError) Is(target error) bool { return target == ErrOutside }

// Create checks that path may be created (or already exists) and returns
// its resolved form, which the caller should use. An allowed directory
// itself passes: creating it is how a fresh host gets one.
func (g Guard) Create(path string) (string, error) {
	return g.check(path, true)
}

// Remove checks that path may be removed and returns the path to remove:
// its directory resolved, its last element kept, so a symbolic link is
// removed itself and never its target. An allowed directory itself does
// not pass: only what is inside may go.
func (g Guard) Remove(path string) (string, error) {
	return g.check(path, false)
}

func (g Guard) check(path string, mayBeRoot bool) (string, error) {
	if !filepath.IsAbs(path) {
		return "", &OutsideError{Path: path, Dirs: g.Dirs, Reason: "is not an absolute path"}
	}
	clean := filepath.Clean(path)
	var resolved string
	var err error
	if mayBeRoot {
		resolved, err = Resolve(clean)
	} else {
		if clean == "/" {
			return "", &OutsideError{Path: path, Dirs: g.Dirs}
		}
		var dir string
		dir, err = Resolve(filepath.Dir(clean))
		resolved = filepath.Join(dir, filepath.Base(clean))
	}
	if err != nil {
		return "", &OutsideError{Path: path, Dirs: g.Dirs, Reason: "cannot be resolved: " + err.Error()}
	}
	for _, d := range g.Dirs {
		if !filepath.IsAbs(d) {
			continue // a relative allowed directory would depend on the agent's cwd
		}
		root, err := Resolve(filepath.Clean(d))
		if err != nil {
			continue
		}
		if within(resolved, root, mayBeRoot) {
			return resolved, nil
		}
	}
	return "", &OutsideError{Path: path, Resolved: resolved, Dirs: g.Dirs}
}

// within reports whether p is root or below it; a sibling sharing a prefix
// (/var/lib/libvirt/qemu2 for /var/lib/libvirt/qemu) is not.
func within(p, root string, mayBeRoot bool) bool {
	if p == root {
		return mayBeRoot
	}
	if root == "/" {
		return true
	}
	return strings.HasPrefix(p, root+string(filepath.Separator))
}

// Resolve returns the clean absolute path with symbolic links resolved on
// the longest prefix that exists; the rest is appended as written (it holds
// no links, since it does not exist).
func Resolve(path string) (string, error) {
	path = filepath.Clean(path)
	rest := ""
	for cur := path; ; {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return "", err
		}
		// A dangling link is a component that exists: resolving past it
		// would judge a name while the operation follows the link.
		if _, lerr := os.Lstat(cur); lerr == nil {
			return "", fmt.Errorf("%s is a dangling symbolic link", cur)
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
