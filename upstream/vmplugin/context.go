package vmplugin

import (
	"context"
	"io/fs"

	"libvirt.org/go/libvirtxml"
)

// Arch values for Config.Arch (kvmagent's IS_AARCH64).
const (
	ArchX86_64  = "x86_64"
	ArchAarch64 = "aarch64"
)

// Config is what the builder takes from the agent's configuration rather
// than from the command.
type Config struct {
	DomainType string // <domain type>: "kvm" (the seed's) or "qemu" where /dev/kvm is missing
	Arch       string // ArchX86_64 or ArchAarch64
}

// ISCSITarget is a parsed iscsi:// install path plus its CHAP credentials.
type ISCSITarget struct {
	Hostname     string
	Port         string
	Target       string
	Lun          string
	ChapUsername string
	ChapPassword string
}

// Host is everything from_StartVmCmd asks of the machine and of libvirt
// while it builds: the linux helpers and the libvirt secrets. The live agent
// passes a host that runs them; render passes one that only computes.
type Host interface {
	// ImageFormat is linux.get_img_fmt: "raw" or "qcow2".
	ImageFormat(ctx context.Context, path string) (string, error)
	// QemuPath is kvmagent.get_qemu_path.
	QemuPath() (string, error)
	// MkdirAll is linux.mkdir (the channel socket's directory).
	MkdirAll(path string, perm fs.FileMode) error
	// CreateCephSecret is VmPlugin._create_ceph_secret_key.
	CreateCephSecret(ctx context.Context, userKey, uuid string) error
	// ISCSILogin logs in to the target (BlkIscsi) and returns the block device path.
	ISCSILogin(ctx context.Context, t ISCSITarget) (string, error)
	// ISCSISecret defines the ephemeral CHAP secret of a VirtioIscsi disk and returns its uuid.
	ISCSISecret(ctx context.Context, volumeUUID, target, password string) (string, error)
	// FusionstorFormat is lichbd_get_format.
	FusionstorFormat(ctx context.Context, path string) (string, error)
}

// BuildContext is what every make_* step works on: the seed's `cmd` and its
// `elements` dict, here a typed Domain.
type BuildContext struct {
	Ctx    context.Context
	Cmd    *StartVmCmd
	Config Config
	Host   Host
	Domain *libvirtxml.Domain
}

// IsAarch64 is kvmagent's IS_AARCH64.
func (c *BuildContext) IsAarch64() bool { return c.Config.Arch == ArchAarch64 }

// Devices is elements['devices'], created on first use.
func (c *BuildContext) Devices() *libvirtxml.DomainDeviceList {
	if c.Domain.Devices == nil {
		c.Domain.Devices = &libvirtxml.DomainDeviceList{}
	}
	return c.Domain.Devices
}
