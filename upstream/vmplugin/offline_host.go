package vmplugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/google/uuid"

	"github.com/strataagent/strata/upstream/linux"
)

// iscsiSecretNamespace seeds OfflineHost's deterministic CHAP secret uuids.
var iscsiSecretNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/strataagent/strata/iscsi-secret"))

// OfflineHost is the Host for rendering a command to XML without touching
// the machine or libvirt (the render subcommand, declarative layers'
// previews): it reads, never writes, and answers what the live host would
// have answered where it can compute it.
type OfflineHost struct{}

var _ Host = OfflineHost{}

// ImageFormat is linux.get_img_fmt for files that exist; for the rest it
// guesses from the extension, since a render may describe a host it is not on.
func (OfflineHost) ImageFormat(ctx context.Context, path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if strings.HasSuffix(path, ".qcow2") {
			return "qcow2", nil
		}
		return "raw", nil
	}
	return linux.GetImgFmt(ctx, path)
}

// QemuPath is kvmagent.get_qemu_path; where no emulator exists (a render on
// a workstation) it answers the seed's last candidate rather than failing.
func (OfflineHost) QemuPath() (string, error) {
	if p, err := linux.GetQemuPath(); err == nil {
		return p, nil
	}
	candidates := linux.QemuCandidates()
	return candidates[len(candidates)-1], nil
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
