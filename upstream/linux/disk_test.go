package linux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiskSizes(t *testing.T) {
	dir := t.TempDir()
	total, err := GetTotalDiskSize(dir)
	if err != nil || total <= 0 {
		t.Fatalf("GetTotalDiskSize = %d, %v", total, err)
	}
	free, err := GetFreeDiskSize(dir)
	if err != nil || free < 0 || free > total {
		t.Fatalf("GetFreeDiskSize = %d, %v (total %d)", free, err, total)
	}
	used, err := GetUsedDiskSize(dir)
	if err != nil || used < 0 || used > total {
		t.Fatalf("GetUsedDiskSize = %d, %v (total %d)", used, err, total)
	}
	if _, err := GetTotalDiskSize(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "statfs") {
		t.Fatalf("statfs of a missing dir: err = %v", err)
	}
}

func TestFileAndFolderSize(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, n int) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a", 100)
	write("sub/b", 23)
	write("sub/deeper/c", 7)
	if err := os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if n, err := GetLocalFileSize(filepath.Join(dir, "a")); err != nil || n != 100 {
		t.Fatalf("GetLocalFileSize = %d, %v", n, err)
	}
	if _, err := GetLocalFileSize(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("GetLocalFileSize of a missing file: no error")
	}
	if n, err := GetFolderSize(dir); err != nil || n != 130 {
		t.Fatalf("GetFolderSize = %d, %v; want 130", n, err)
	}
}

func TestMkdir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"with parents", filepath.Join(dir, "x", "y", "z"), ""},
		{"already there", filepath.Join(dir, "x"), ""},
		{"a file in the way", file, "not a directory"},
		{"under a file", filepath.Join(file, "sub"), "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Mkdir(tc.path, 0o755)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(tc.path); err != nil || !st.IsDir() {
				t.Fatalf("%s is not a directory: %v", tc.path, err)
			}
		})
	}
}
