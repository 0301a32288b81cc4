package linux

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/strataagent/strata/upstream/shell"
)

// LibvirtVersion is host_plugin's _get_libvirt_version: the last word of
// `libvirtd --version` ("libvirtd (libvirt) 9.0.0" → "9.0.0").
func LibvirtVersion(ctx context.Context) (string, error) {
	out, err := shell.Call(ctx, "libvirtd", "--version")
	if err != nil {
		return "", fmt.Errorf("get libvirt version: %w", err)
	}
	return parseLibvirtVersion(out)
}

func parseLibvirtVersion(out string) (string, error) {
	f := strings.Fields(out)
	if len(f) == 0 {
		return "", errors.New("get libvirt version: `libvirtd --version` printed nothing")
	}
	return f[len(f)-1], nil
}

// QemuVersion is host_plugin's _get_qemu_version: the word after "version"
// in `<qemu> -version`, cut at "(" so both "2.6.0" and
// "2.9.0(qemu-kvm-ev-…)" give the bare number.
func QemuVersion(ctx context.Context, qemuPath string) (string, error) {
	out, err := shell.Call(ctx, qemuPath, "-version")
	if err != nil {
		return "", fmt.Errorf("get qemu version: %w", err)
	}
	return parseQemuVersion(out)
}

func parseQemuVersion(out string) (string, error) {
	f := strings.Fields(out)
	for i, w := range f {
		if w == "version" && i+1 < len(f) {
			v, _, _ := strings.Cut(f[i+1], "(")
			return v, nil
		}
	}
	return "", fmt.Errorf("cannot get qemu version[%s]", out)
}

// QemuImgVersion is the host fact's qemuImgVersion: the third word of the
// "qemu-img version" line of `qemu-img --version`, cut at "(".
func QemuImgVersion(ctx context.Context) (string, error) {
	out, err := shell.Call(ctx, QemuImgPath(), "--version")
	if err != nil {
		return "", fmt.Errorf("get qemu-img version: %w", err)
	}
	return parseQemuImgVersion(out)
}

func parseQemuImgVersion(out string) (string, error) {
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "qemu-img version") {
			continue
		}
		// The seed cuts on single spaces (`cut -d ' ' -f 3`).
		f := strings.Split(strings.TrimSpace(line), " ")
		if len(f) < 3 {
			break
		}
		v, _, _ := strings.Cut(f[2], "(")
		return strings.Trim(v, "\t\r\n ,"), nil
	}
	return "", fmt.Errorf("cannot get qemu-img version[%s]", out)
}
