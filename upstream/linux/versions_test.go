package linux

import (
	"context"
	"os/exec"
	"regexp"
	"testing"
)

func TestParseVersions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func(string) (string, error)
		out   string
		want  string
	}{
		{"libvirtd", parseLibvirtVersion, "libvirtd (libvirt) 9.0.0\n", "9.0.0"},
		{"libvirtd el7", parseLibvirtVersion, "libvirtd (libvirt) 3.2.0\n", "3.2.0"},
		{"qemu debian", parseQemuVersion, "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard\n", "7.2.22"},
		{"qemu-kvm-ev glued", parseQemuVersion, "QEMU emulator version 2.9.0(qemu-kvm-ev-2.9.0-16.el7_4.8.1)\n", "2.9.0"},
		{"qemu plain", parseQemuVersion, "QEMU emulator version 2.6.0, Copyright (c) 2003-2008 Fabrice Bellard\n", "2.6.0,"},
		{"qemu-img debian", parseQemuImgVersion, "qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022\n", "7.2.22"},
		{"qemu-img el7", parseQemuImgVersion, "qemu-img version 2.9.0(qemu-kvm-ev-2.9.0-16.el7_4.8.1), Copyright (c) 2004-2008 Fabrice Bellard\n", "2.9.0"},
		{"qemu-img old comma", parseQemuImgVersion, "qemu-img version 2.6.0, Copyright (c) 2004-2008 Fabrice Bellard\n", "2.6.0"},
	} {
		got, err := tc.parse(tc.out)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		name  string
		parse func(string) (string, error)
	}{{"libvirtd", parseLibvirtVersion}, {"qemu", parseQemuVersion}, {"qemu-img", parseQemuImgVersion}} {
		if _, err := bad.parse("\n"); err == nil {
			t.Errorf("%s: empty output gave no error", bad.name)
		}
	}
}

var versionRE = regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`)

func TestVersionsOfInstalledTools(t *testing.T) {
	ctx := context.Background()
	if _, err := exec.LookPath("libvirtd"); err == nil {
		if v, err := LibvirtVersion(ctx); err != nil || !versionRE.MatchString(v) {
			t.Errorf("LibvirtVersion = %q, %v", v, err)
		}
	}
	if _, err := exec.LookPath("qemu-img"); err == nil {
		if v, err := QemuImgVersion(ctx); err != nil || !versionRE.MatchString(v) {
			t.Errorf("QemuImgVersion = %q, %v", v, err)
		}
	}
	if q, err := GetQemuPath(); err == nil {
		if v, err := QemuVersion(ctx, q); err != nil || !versionRE.MatchString(v) {
			t.Errorf("QemuVersion(%s) = %q, %v", q, v, err)
		}
	}
	if _, err := QemuVersion(ctx, "/nonexistent/qemu"); err == nil {
		t.Error("QemuVersion of a missing binary: no error")
	}
}
