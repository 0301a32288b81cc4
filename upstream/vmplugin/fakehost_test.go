package vmplugin

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
)

// fakeBuildHost is a deterministic Host for builder tests: formats come
// from the extension, nothing touches the machine, and every side effect is
// recorded so tests can assert the seed's calls (mkdir, ceph secret).
type fakeBuildHost struct {
	qemuPath string
	err      map[string]error // by method name, to test error paths
	maxVCPUs int              // MaxVCPUs' answer; 0 answers OfflineHost's
	// imageFormat, when set, replaces the extension rule (to make
	// qemu-img hang or count its calls).
	imageFormat func(ctx context.Context, path string) (string, error)

	mkdirs       []string
	cephSecrets  [][2]string
	iscsiLogins  []ISCSITarget
	iscsiSecrets []string
}

const fakeQemuPath = "/usr/libexec/qemu-kvm"

func newFakeHost() *fakeBuildHost { return &fakeBuildHost{qemuPath: fakeQemuPath} }

var _ Host = (*fakeBuildHost)(nil)

func (h *fakeBuildHost) fail(method string) error {
	if h.err == nil {
		return nil
	}
	return h.err[method]
}

func (h *fakeBuildHost) ImageFormat(ctx context.Context, path string) (string, error) {
	if err := h.fail("ImageFormat"); err != nil {
		return "", err
	}
	if h.imageFormat != nil {
		return h.imageFormat(ctx, path)
	}
	if strings.HasSuffix(path, ".qcow2") {
		return "qcow2", nil
	}
	return "raw", nil
}

func (h *fakeBuildHost) QemuPath() (string, error) {
	if err := h.fail("QemuPath"); err != nil {
		return "", err
	}
	return h.qemuPath, nil
}

func (h *fakeBuildHost) MkdirAll(path string, _ fs.FileMode) error {
	h.mkdirs = append(h.mkdirs, path)
	return h.fail("MkdirAll")
}

func (h *fakeBuildHost) CreateCephSecret(_ context.Context, userKey, uuid string) error {
	h.cephSecrets = append(h.cephSecrets, [2]string{userKey, uuid})
	return h.fail("CreateCephSecret")
}

func (h *fakeBuildHost) ISCSILogin(ctx context.Context, t ISCSITarget) (string, error) {
	h.iscsiLogins = append(h.iscsiLogins, t)
	if err := h.fail("ISCSILogin"); err != nil {
		return "", err
	}
	return OfflineHost{}.ISCSILogin(ctx, t)
}

func (h *fakeBuildHost) ISCSISecret(ctx context.Context, volumeUUID, target, password string) (string, error) {
	h.iscsiSecrets = append(h.iscsiSecrets, fmt.Sprintf("%s|%s|%s", volumeUUID, target, password))
	if err := h.fail("ISCSISecret"); err != nil {
		return "", err
	}
	return OfflineHost{}.ISCSISecret(ctx, volumeUUID, target, password)
}

func (h *fakeBuildHost) FusionstorFormat(context.Context, string) (string, error) {
	if err := h.fail("FusionstorFormat"); err != nil {
		return "", err
	}
	return "raw", nil
}

var _ VCPULimiter = (*fakeBuildHost)(nil)

func (h *fakeBuildHost) MaxVCPUs(ctx context.Context, domainType, arch string) (int, error) {
	if err := h.fail("MaxVCPUs"); err != nil {
		return 0, err
	}
	if h.maxVCPUs > 0 {
		return h.maxVCPUs, nil
	}
	return OfflineHost{}.MaxVCPUs(ctx, domainType, arch)
}
