package vmplugin

import (
	"context"
	"fmt"

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

// Validate checks the command before anything is built.
func (cmd *StartVmCmd) Validate() error {
	if cmd.Cpus > 8 {
		return fmt.Errorf("cpuNum: %d exceeds the maximum of 8", cmd.Cpus)
	}
	return nil
}

// Build builds the stock domain.
func Build(ctx context.Context, cmd *StartVmCmd, cfg Config, host OfflineHost) (*libvirtxml.Domain, error) {
	d := &libvirtxml.Domain{Type: cfg.DomainType, Name: cmd.VmInstanceUuid}
	d.VCPU = &libvirtxml.DomainVCPU{Value: cmd.Cpus}
	d.Devices = &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{{
		Device: "disk",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2", IO: "native"},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: cmd.RootPath}},
		Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"},
	}}}
	return d, nil
}
