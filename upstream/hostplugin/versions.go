package hostplugin

import (
	"context"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/linux"
)

// The seed reads both versions once, at start; here each is read on first
// use and kept. A failure is not kept, so the next call tries again.

func (p *HostPlugin) getLibvirtVersion(ctx context.Context) (string, error) {
	p.versionsMu.Lock()
	defer p.versionsMu.Unlock()
	if p.libvirtVersion == "" {
		v, err := linux.LibvirtVersion(ctx)
		if err != nil {
			return "", err
		}
		p.libvirtVersion = v
	}
	return p.libvirtVersion, nil
}

func (p *HostPlugin) getQemuVersion(ctx context.Context) (string, error) {
	p.versionsMu.Lock()
	defer p.versionsMu.Unlock()
	if p.qemuVersion == "" {
		qemu, err := p.qemuPath()
		if err != nil {
			return "", err
		}
		v, err := linux.QemuVersion(ctx, qemu)
		if err != nil {
			return "", err
		}
		p.qemuVersion = v
	}
	return p.qemuVersion, nil
}

// qemuPath is the configured emulator, else kvmagent.get_qemu_path's, whose
// failure is a KvmError in the seed.
func (p *HostPlugin) qemuPath() (string, error) {
	if p.cfg.QemuPath != "" {
		return p.cfg.QemuPath, nil
	}
	path, err := linux.GetQemuPath()
	if err != nil {
		return "", &kvmagent.KvmError{Msg: err.Error()}
	}
	return path, nil
}
