package linux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/strataagent/strata/upstream/shell"
)

// Info is what `qemu-img info --output=json` reports about one image.
type Info struct {
	Filename        string `json:"filename"`
	Format          string `json:"format"`
	VirtualSize     int64  `json:"virtual-size"`
	ActualSize      int64  `json:"actual-size"` // allocated bytes on disk, not the file's length
	BackingFile     string `json:"backing-filename,omitempty"`
	FullBackingFile string `json:"full-backing-filename,omitempty"`
	BackingFormat   string `json:"backing-filename-format,omitempty"`
}

// QemuImgPath returns the qemu-img to run: the one on PATH, else the seed's
// fixed /usr/bin/qemu-img.
func QemuImgPath() string {
	if p, err := exec.LookPath("qemu-img"); err == nil {
		return p
	}
	return "/usr/bin/qemu-img"
}

// checkImagePath refuses what qemu-img would read as an option.
func checkImagePath(path string) error {
	if path == "" {
		return errors.New("image path is empty")
	}
	if strings.HasPrefix(path, "-") {
		return fmt.Errorf("invalid image path %q: starts with '-'", path)
	}
	return nil
}

// qemuImgInfo runs `qemu-img info` in JSON mode. --force-share lets it read
// an image a running qemu holds locked, as the seed's lock-free qemu-img could.
func qemuImgInfo(ctx context.Context, path string, chain bool) (string, error) {
	if err := checkImagePath(path); err != nil {
		return "", err
	}
	argv := []string{QemuImgPath(), "info", "--output=json", "--force-share"}
	if chain {
		argv = append(argv, "--backing-chain")
	}
	out, err := shell.Call(ctx, append(argv, path)...)
	if err != nil {
		return "", fmt.Errorf("qemu-img info of %s: %w", path, err)
	}
	return out, nil
}

// QemuImgInfo reports the format, sizes and backing file of the image at path.
func QemuImgInfo(ctx context.Context, path string) (Info, error) {
	out, err := qemuImgInfo(ctx, path, false)
	if err != nil {
		return Info{}, err
	}
	var info Info
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		return Info{}, fmt.Errorf("parse qemu-img info of %s: %w", path, err)
	}
	return info, nil
}

// GetImgFmt is linux.get_img_fmt: "raw" or "qcow2", anything else is an
// error, with no fallback.
func GetImgFmt(ctx context.Context, path string) (string, error) {
	info, err := QemuImgInfo(ctx, path)
	if err != nil {
		return "", err
	}
	if info.Format != "raw" && info.Format != "qcow2" {
		return "", fmt.Errorf("unknown format[%s] of the image file[%s]", info.Format, path)
	}
	return info.Format, nil
}

// QemuImgVirtualSize is linux.qcow2_virtualsize: the guest-visible size in bytes.
func QemuImgVirtualSize(ctx context.Context, path string) (int64, error) {
	info, err := QemuImgInfo(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("cannot get the virtual size of the file[%s]: %w", path, err)
	}
	return info.VirtualSize, nil
}

// QemuImgSizeAndActualSize is linux.qcow2_size_and_actual_size: the virtual
// size from qemu-img and, as the seed does, the file's length as the actual size.
func QemuImgSizeAndActualSize(ctx context.Context, path string) (virtual, actual int64, err error) {
	info, err := QemuImgInfo(ctx, path)
	if err != nil {
		return 0, 0, fmt.Errorf("cannot get the virtual/actual size of the file[%s]: %w", path, err)
	}
	actual, err = GetLocalFileSize(path)
	if err != nil {
		return 0, 0, fmt.Errorf("cannot get the virtual/actual size of the file[%s]: %w", path, err)
	}
	return info.VirtualSize, actual, nil
}

// QemuImgBackingChain is linux.qcow2_get_file_chain: the image itself
// followed by each of its backing files, nearest first.
func QemuImgBackingChain(ctx context.Context, path string) ([]string, error) {
	out, err := qemuImgInfo(ctx, path, true)
	if err != nil {
		return nil, err
	}
	var infos []Info
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		return nil, fmt.Errorf("parse qemu-img backing chain of %s: %w", path, err)
	}
	chain := make([]string, 0, len(infos))
	for _, in := range infos {
		chain = append(chain, in.Filename)
	}
	return chain, nil
}
