package pathguard

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fixture builds, under a temp dir t:
//
//	t/qemu/            the allowed directory
//	t/qemu/vm1/        an existing VM directory
//	t/qemu/out -> t/etc          a link escaping the root
//	t/qemu/in  -> t/qemu/vm1     a link staying inside
//	t/qemu/dangling -> t/nowhere
//	t/qemu2/           a sibling sharing the prefix
//	t/etc/passwd
//	t/link -> t/qemu   a link to the root from outside
func fixture(t *testing.T) (base, root string) {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(base, "qemu")
	for _, d := range []string{"qemu/vm1", "qemu2", "etc"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "etc/passwd"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"qemu/out": filepath.Join(base, "etc"), "qemu/in": filepath.Join(root, "vm1"),
		"qemu/dangling": filepath.Join(base, "nowhere"), "link": root,
	} {
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	return base, root
}

func TestGuard(t *testing.T) {
	base, root := fixture(t)
	g := Guard{Dirs: []string{root}}
	p := func(rel string) string { return filepath.Join(base, rel) }
	tests := []struct {
		name     string
		op       func(string) (string, error)
		path     string
		want     string // resolved path when allowed
		wantText string // exact error text when refused
	}{
		{"create: existing vm dir", g.Create, p("qemu/vm1"), p("qemu/vm1"), ""},
		{"create: new dir below a new dir", g.Create, p("qemu/new/sub"), p("qemu/new/sub"), ""},
		{"create: the root itself", g.Create, root, root, ""},
		{"create: through a link that stays inside", g.Create, p("qemu/in/x"), p("qemu/vm1/x"), ""},
		{"create: through a link to the root from outside", g.Create, p("link/vm9"), p("qemu/vm9"), ""},
		{"create: symlink escaping the root", g.Create, p("qemu/out/x"), "",
			p("qemu/out/x") + " (resolves to " + p("etc/x") + ") is outside the allowed directories [" + root + "]"},
		{"create: .. segments", g.Create, base + "/qemu/vm1/../../etc", "",
			base + "/qemu/vm1/../../etc (resolves to " + p("etc") + ") is outside the allowed directories [" + root + "]"},
		{"create: sibling prefix", g.Create, p("qemu2/x"), "",
			p("qemu2/x") + " is outside the allowed directories [" + root + "]"},
		{"create: relative", g.Create, "qemu/x", "", "qemu/x is not an absolute path, allowed directories [" + root + "]"},
		{"create: through a dangling link", g.Create, p("qemu/dangling/x"), "",
			p("qemu/dangling/x") + " cannot be resolved: " + p("qemu/dangling") + " is a dangling symbolic link, allowed directories [" + root + "]"},
		{"remove: socket in vm dir", g.Remove, p("qemu/vm1/sock"), p("qemu/vm1/sock"), ""},
		{"remove: a link itself, not its target", g.Remove, p("qemu/out"), p("qemu/out"), ""},
		{"remove: the root itself", g.Remove, root, "", root + " is outside the allowed directories [" + root + "]"},
		{"remove: root via trailing ..", g.Remove, root + "/vm1/..", "",
			root + "/vm1/.. (resolves to " + root + ") is outside the allowed directories [" + root + "]"},
		{"remove: symlink escaping the root", g.Remove, p("qemu/out/passwd"), "",
			p("qemu/out/passwd") + " (resolves to " + p("etc/passwd") + ") is outside the allowed directories [" + root + "]"},
		{"remove: .. segments", g.Remove, root + "/../etc/passwd", "",
			root + "/../etc/passwd (resolves to " + p("etc/passwd") + ") is outside the allowed directories [" + root + "]"},
		{"remove: sibling prefix", g.Remove, p("qemu2/sock"), "",
			p("qemu2/sock") + " is outside the allowed directories [" + root + "]"},
		{"remove: /", g.Remove, "/", "", "/ is outside the allowed directories [" + root + "]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.op(tc.path)
			if tc.wantText != "" {
				if err == nil || err.Error() != tc.wantText {
					t.Fatalf("err = %v\nwant %s", err, tc.wantText)
				}
				if !errors.Is(err, ErrOutside) {
					t.Errorf("errors.Is(err, ErrOutside) = false")
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("= %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestGuardDirs(t *testing.T) {
	base, root := fixture(t)
	sock := filepath.Join(root, "vm1/sock")
	tests := []struct {
		name string
		dirs []string
		ok   bool
	}{
		{"no dirs allow nothing", nil, false},
		{"relative dir is ignored", []string{"qemu"}, false},
		{"allowed dir given through a link", []string{filepath.Join(base, "link")}, true},
		{"allowed dir given with ..", []string{filepath.Join(base, "etc/../qemu")}, true},
		{"second of two", []string{filepath.Join(base, "qemu2"), root}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Guard{Dirs: tc.dirs}.Remove(sock)
			if (err == nil) != tc.ok {
				t.Fatalf("Remove(%s) with %q: err = %v, want ok=%v", sock, tc.dirs, err, tc.ok)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	base, root := fixture(t)
	tests := []struct{ in, want string }{
		{filepath.Join(base, "link/vm1/a/b"), filepath.Join(root, "vm1/a/b")},
		// Cleaned before links are resolved (the kernel would follow out first):
		// the caller operates on the returned path, so what is checked is what is used.
		{root + "/out/../qemu2", filepath.Join(root, "qemu2")},
		{"/", "/"},
	}
	for _, tc := range tests {
		got, err := Resolve(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
