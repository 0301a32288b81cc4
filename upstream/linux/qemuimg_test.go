package linux

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func needQemuImg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
}

func qemuImgCreate(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("qemu-img", append([]string{"create"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create %v: %v\n%s", args, err, out)
	}
}

func TestGetImgFmt(t *testing.T) {
	needQemuImg(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "a.raw")
	qcow := filepath.Join(dir, "b.qcow2")
	vmdk := filepath.Join(dir, "c.vmdk")
	qemuImgCreate(t, "-f", "raw", raw, "1M")
	qemuImgCreate(t, "-f", "qcow2", qcow, "2M")
	qemuImgCreate(t, "-f", "vmdk", vmdk, "1M")

	tests := []struct {
		name, path, want, wantErr string
	}{
		{"raw", raw, "raw", ""},
		{"qcow2", qcow, "qcow2", ""},
		{"vmdk is refused", vmdk, "", "unknown format[vmdk] of the image file[" + vmdk + "]"},
		{"missing file", filepath.Join(dir, "nope"), "", "qemu-img info of"},
		{"option-like path", "-h", "", "starts with '-'"},
		{"empty path", "", "", "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GetImgFmt(context.Background(), tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("GetImgFmt = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestQemuImgSizesAndChain(t *testing.T) {
	needQemuImg(t)
	ctx := context.Background()
	dir := t.TempDir()
	base := filepath.Join(dir, "base.qcow2")
	mid := filepath.Join(dir, "mid.qcow2")
	top := filepath.Join(dir, "top.qcow2")
	qemuImgCreate(t, "-f", "qcow2", base, "3M")
	qemuImgCreate(t, "-f", "qcow2", "-F", "qcow2", "-b", base, mid)
	qemuImgCreate(t, "-f", "qcow2", "-F", "qcow2", "-b", mid, top)

	vs, err := QemuImgVirtualSize(ctx, top)
	if err != nil || vs != 3<<20 {
		t.Fatalf("QemuImgVirtualSize = %d, %v; want %d", vs, err, 3<<20)
	}
	info, err := QemuImgInfo(ctx, top)
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != "qcow2" || info.BackingFile != mid || info.BackingFormat != "qcow2" || info.ActualSize <= 0 {
		t.Fatalf("QemuImgInfo = %+v", info)
	}
	v, actual, err := QemuImgSizeAndActualSize(ctx, top)
	st, _ := os.Stat(top)
	if err != nil || v != 3<<20 || actual != st.Size() {
		t.Fatalf("QemuImgSizeAndActualSize = %d, %d, %v; want %d, %d", v, actual, err, 3<<20, st.Size())
	}
	chain, err := QemuImgBackingChain(ctx, top)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{top, mid, base}; strings.Join(chain, ",") != strings.Join(want, ",") {
		t.Fatalf("QemuImgBackingChain = %v, want %v", chain, want)
	}
	if _, err := QemuImgVirtualSize(ctx, filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "cannot get the virtual size") {
		t.Fatalf("missing image: err = %v", err)
	}
}
