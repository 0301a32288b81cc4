package vmplugin

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestOfflineHostImageFormat(t *testing.T) {
	ctx := context.Background()
	h := OfflineHost{}
	for path, want := range map[string]string{
		"/nonexistent/strata/root.qcow2": "qcow2",
		"/nonexistent/strata/root.img":   "raw",
		"/nonexistent/strata/root":       "raw",
	} {
		got, err := h.ImageFormat(ctx, path)
		if err != nil || got != want {
			t.Errorf("ImageFormat(%q) = %q, %v; want %q", path, got, err, want)
		}
	}

	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Skip("qemu-img not installed; existing-file probe not tested")
	}
	dir := t.TempDir()
	// A qcow2 image named .raw: the probe, not the extension, decides.
	img := filepath.Join(dir, "disk.raw")
	if out, err := exec.Command(qemuImg, "create", "-f", "qcow2", img, "1M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v\n%s", err, out)
	}
	if got, err := h.ImageFormat(ctx, img); err != nil || got != "qcow2" {
		t.Errorf("ImageFormat(qcow2 file) = %q, %v", got, err)
	}
	raw := filepath.Join(dir, "disk.qcow2")
	if err := os.WriteFile(raw, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := h.ImageFormat(ctx, raw); err != nil || got != "raw" {
		t.Errorf("ImageFormat(raw file) = %q, %v", got, err)
	}
	vmdk := filepath.Join(dir, "disk.vmdk")
	if out, err := exec.Command(qemuImg, "create", "-f", "vmdk", vmdk, "1M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v\n%s", err, out)
	}
	if _, err := h.ImageFormat(ctx, vmdk); err == nil {
		t.Error("vmdk accepted; get_img_fmt only takes raw and qcow2")
	}
}

func TestOfflineHostAnswers(t *testing.T) {
	ctx := context.Background()
	h := OfflineHost{}
	q, err := h.QemuPath()
	if err != nil || q == "" {
		t.Fatalf("QemuPath() = %q, %v", q, err)
	}
	dev, err := h.ISCSILogin(ctx, ISCSITarget{Hostname: "10.0.0.5", Port: "3260", Target: "iqn.x:t", Lun: "7"})
	if want := "/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.x:t-lun-1"; err != nil || dev != want {
		t.Errorf("ISCSILogin = %q, %v; want %q (lun is always 1)", dev, err, want)
	}
	if _, err := h.ISCSILogin(ctx, ISCSITarget{Hostname: "h"}); err == nil {
		t.Error("ISCSILogin without port and target succeeded")
	}
	a, _ := h.ISCSISecret(ctx, "vol-1", "t", "p")
	b, _ := h.ISCSISecret(ctx, "vol-1", "other", "other")
	c, _ := h.ISCSISecret(ctx, "vol-2", "t", "p")
	if a != b || a == c || len(a) != 36 {
		t.Errorf("ISCSISecret not a deterministic per-volume uuid: %q %q %q", a, b, c)
	}
	if f, err := h.FusionstorFormat(ctx, "pool/x"); err != nil || f != "raw" {
		t.Errorf("FusionstorFormat = %q, %v", f, err)
	}
	if err := h.MkdirAll("/nonexistent/strata/dir", 0o777); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat("/nonexistent/strata/dir"); err == nil {
		t.Error("MkdirAll created a directory")
	}
	if err := h.CreateCephSecret(ctx, "k", "u"); err != nil {
		t.Error(err)
	}
}

// TestOfflineHostRendersCorpus: OfflineHost builds every golden command
// (it differs from the fake only in the emulator path it finds).
func TestOfflineHostRendersCorpus(t *testing.T) {
	for _, gc := range loadGoldenCases(t) {
		if _, err := Build(context.Background(), gc.cmd, gc.cfg, OfflineHost{}); err != nil {
			t.Errorf("%s: %v", gc.name, err)
		}
	}
}
