package linux

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindQemu(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "qemu-kvm"), filepath.Join(dir, "bin-qemu-kvm"), filepath.Join(dir, "qemu-system-x86_64")
	for _, p := range []string{b, c} {
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := findQemu([]string{a, b, c}); err != nil || got != b {
		t.Errorf("findQemu = %q, %v; want the first existing, %q", got, err, b)
	}
	_, err := findQemu([]string{a})
	want := "Could not find qemu-kvm in /bin/qemu-kvm or /usr/libexec/qemu-kvm or /usr/bin/qemu-system-x86_64"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestGetQemuPathCaches(t *testing.T) {
	p1, err1 := GetQemuPath()
	p2, err2 := GetQemuPath()
	if (err1 == nil) != (err2 == nil) || p1 != p2 {
		t.Fatalf("GetQemuPath twice: %q, %v then %q, %v", p1, err1, p2, err2)
	}
}
