package vmplugin

import (
	"context"

	"libvirt.org/go/libvirtxml"
)

// StartVmCmd is the start command.
type StartVmCmd struct {
	VmInstanceUuid string `json:"vmInstanceUuid"`
	RootPath       string `json:"rootPath"`
	Cpus           uint   `json:"cpuNum"`
}

// Config is the builder's configuration.
type Config struct {
	DomainType string
	Arch       string
}

// OfflineHost renders without side effects.
type OfflineHost struct{}

// Build builds the stock domain.
func Build(ctx context.Context, cmd *StartVmCmd, cfg Config, host OfflineHost) (*libvirtxml.Domain, error) {
	d := &libvirtxml.Domain{Type: cfg.DomainType, Name: cmd.VmInstanceUuid}
	d.VCPU = &libvirtxml.DomainVCPU{Value: cmd.Cpus}
	d.OS = &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Arch: cfg.Arch, Type: "hvm"}}
	d.Devices = &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{{
		Device: "disk",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2", Cache: "none"},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: cmd.RootPath}},
		Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"},
	}, {
		Device: "cdrom",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw"},
		Target: &libvirtxml.DomainDiskTarget{Dev: "hdc", Bus: "ide"},
	}}}

	return d, nil
}
