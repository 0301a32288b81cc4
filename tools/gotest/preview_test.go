package gotest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Sync keeps an unchanged file's mtime (the test cache keys on it),
// rewrites a changed one, removes what the source lacks and copies only
// the sides named.
func TestSync(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	write := func(dir, rel, s string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(src, "go.mod", "module m\n")
	write(src, "overlay/a.go", "package a\n")
	write(src, "overlay/b.go", "package a // new\n")
	write(src, "tools/t.go", "package t\n")
	write(dst, "overlay/a.go", "package a\n")
	write(dst, "overlay/b.go", "package a\n")
	write(dst, "overlay/gone.go", "package a\n")
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, f := range []string{"overlay/a.go", "overlay/b.go"} {
		if err := os.Chtimes(filepath.Join(dst, f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := Sync(src, dst, []string{"go.mod", "overlay", "linux2"}); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dst, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if want := []string{"go.mod", "overlay/a.go", "overlay/b.go"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	tests := []struct {
		file      string
		keepMtime bool
		content   string
	}{
		{"overlay/a.go", true, "package a\n"},
		{"overlay/b.go", false, "package a // new\n"},
	}
	for _, tt := range tests {
		st, err := os.Stat(filepath.Join(dst, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if kept := st.ModTime().Equal(old); kept != tt.keepMtime {
			t.Errorf("%s: mtime kept %v, want %v", tt.file, kept, tt.keepMtime)
		}
		if b, _ := os.ReadFile(filepath.Join(dst, tt.file)); string(b) != tt.content {
			t.Errorf("%s: %q, want %q", tt.file, b, tt.content)
		}
	}
}
