package vmplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/google/uuid"

	"github.com/strataagent/strata/upstream/shell"
)

// QemuPaths are kvmagent.get_qemu_path's candidates, in its order.
var QemuPaths = []string{"/usr/libexec/qemu-kvm", "/bin/qemu-kvm", "/usr/bin/qemu-system-x86_64"}

// iscsiSecretNamespace seeds OfflineHost's deterministic CHAP secret uuids.
var iscsiSecretNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/strataagent/strata/iscsi-secret"))

// OfflineHost is the Host for rendering a command to XML without touching
// the machine or libvirt (the render subcommand, declarative layers'
// previews): it reads, never writes, and answers what the live host would
// have answered where it can compute it.
type OfflineHost struct {
	// Runner runs qemu-img for images that exist; the zero value is fine.
	Runner shell.Runner
}

var _ Host = OfflineHost{}

// ImageFormat asks qemu-img for files that exist, as linux.get_img_fmt
// does (and, like it, accepts only raw and qcow2); for the rest it guesses
// from the extension, since a render may describe a host it is not on.
func (h OfflineHost) ImageFormat(ctx context.Context, path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if strings.HasSuffix(path, ".qcow2") {
			return "qcow2", nil
		}
		return "raw", nil
	}
	// -U (force share): the image may belong to a running VM, whose
	// write lock would otherwise make qemu-img refuse to open it.
	out, err := h.Runner.Call(ctx, "qemu-img", "info", "-U", "--output=json", path)
	if err != nil {
		return "", fmt.Errorf("image format of %s: %w", path, err)
	}
	var info struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		return "", fmt.Errorf("image format of %s: qemu-img info: %w", path, err)
	}
	if info.Format != "raw" && info.Format != "qcow2" {
		return "", fmt.Errorf("unknown format[%s] of the image file[%s]", info.Format, path)
	}
	return info.Format, nil
}

// QemuPath is the first of QemuPaths that exists; where none does (a
// render on a workstation) it answers the last, rather than failing as
// get_qemu_path would.
func (OfflineHost) QemuPath() (string, error) {
	for _, p := range QemuPaths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return QemuPaths[len(QemuPaths)-1], nil
}

// MkdirAll does nothing: a render creates no directories.
func (OfflineHost) MkdirAll(string, fs.FileMode) error { return nil }

// CreateCephSecret does nothing: the domain refers to the secret by uuid.
func (OfflineHost) CreateCephSecret(context.Context, string, string) error { return nil }

// ISCSILogin returns the by-path device the login would produce. The LUN
// is always 1, as in the seed, whose IscsiLogin never takes the path's LUN.
func (OfflineHost) ISCSILogin(_ context.Context, t ISCSITarget) (string, error) {
	if t.Hostname == "" || t.Port == "" || t.Target == "" {
		return "", errors.New("iscsi login: hostname, port and target are required")
	}
	return fmt.Sprintf("/dev/disk/by-path/ip-%s:%s-iscsi-%s-lun-1", t.Hostname, t.Port, t.Target), nil
}

// ISCSISecret returns a uuid derived from the volume uuid, so renders are
// reproducible; the live host gets a fresh one from libvirt.
func (OfflineHost) ISCSISecret(_ context.Context, volumeUUID, _, _ string) (string, error) {
	return uuid.NewSHA1(iscsiSecretNamespace, []byte(volumeUUID)).String(), nil
}

// FusionstorFormat answers raw, the format Fusionstor volumes are created in.
func (OfflineHost) FusionstorFormat(context.Context, string) (string, error) { return "raw", nil }
