package overlay

import (
	"context"
	"errors"
	"fmt"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// RebootVm overrides the stock /vm/reboot, which writes <os><boot> even
// when a device carries <boot order> (every VM started with useBootMenu
// and bootDev hd: its root disk), so libvirt refuses the start and the VM
// is left stopped and undefined. Here bootDev keeps its meaning, the
// devices to try in that order: where devices carry per-device orders, the
// orders are rewritten from bootDev and <os><boot> stays empty; else
// <os><boot> is written as the stock reboot does. If the start after the
// stop fails and the VM is gone, the previous definition is started again,
// so a reboot never leaves a VM undefined.
func (p *VmPluginEx) RebootVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &vmplugin.RebootVmCmd{}
	if err := kvmagent.DecodeCommand(req, cmd); err != nil {
		return nil, err
	}
	if cmd.UUID == "" {
		return nil, errors.New("uuid: missing in command")
	}
	kvmagent.AddLogAttrs(ctx, "vm", cmd.UUID) // as the stock decodeUUID does since 2.3.0-6
	defer p.LockVM(cmd.UUID)()
	vm, err := p.GetVmByUUID(ctx, cmd.UUID, true)
	if err != nil {
		return failed(err)
	}
	if err := p.reboot(ctx, vm, cmd); err != nil {
		return failed(err)
	}
	rsp := kvmagent.NewAgentResponse()
	return &rsp, nil
}

func (p *VmPluginEx) reboot(ctx context.Context, vm *vmplugin.Vm, cmd *vmplugin.RebootVmCmd) error {
	prevXML := vm.DomainXML
	if err := vm.Stop(ctx, true, p.liveHost()); err != nil {
		return err
	}
	prev := &libvirtxml.Domain{}
	if err := prev.Unmarshal(prevXML); err != nil {
		return fmt.Errorf("parse domain of vm[uuid:%s] for reboot: %w", cmd.UUID, err)
	}
	SetBootDevices(vm.Domain, cmd.BootDev)
	x, err := vmplugin.MarshalDomain(vm.Domain)
	if err != nil {
		return fmt.Errorf("marshal domain of vm[uuid:%s] for reboot: %w", cmd.UUID, err)
	}
	vm.DomainXML = x
	startErr := vm.Start(ctx, cmd.Timeout)
	if startErr == nil {
		return nil
	}
	if now, lerr := p.GetVmByUUIDNoRetry(context.WithoutCancel(ctx), cmd.UUID, false); lerr != nil || now != nil {
		return startErr // defined (perhaps still starting) or unknown: leave it
	}
	p.Log.WarnContext(ctx, "reboot: start with the new boot devices failed; starting the previous definition", "vm", cmd.UUID, "err", startErr)
	vm.Domain, vm.DomainXML = prev, prevXML
	if err := vm.Start(context.WithoutCancel(ctx), cmd.Timeout); err != nil {
		return fmt.Errorf("%w (restoring the previous definition failed too: %v)", startErr, err)
	}
	return fmt.Errorf("%w (the vm runs again with its previous boot devices)", startErr)
}

// SetBootDevices applies a reboot's bootDev to d. With per-device
// <boot order> present, libvirt refuses <os><boot>: the orders are
// rewritten instead, in bootDev's order: "hd" is the disk that had an
// order (else the first disk), "cdrom" every cdrom, "network" the first
// interface, "fd" every floppy. Without them, <os><boot> is bootDev, as
// the stock reboot writes it.
func SetBootDevices(d *libvirtxml.Domain, bootDev []string) {
	if d.OS == nil {
		d.OS = &libvirtxml.DomainOS{}
	}
	d.OS.BootDevices = nil
	if !hasDeviceBootOrder(d) {
		for _, dev := range bootDev {
			d.OS.BootDevices = append(d.OS.BootDevices, libvirtxml.DomainBootDevice{Dev: dev})
		}
		return
	}
	disks := d.Devices.Disks
	root := -1
	for i := range disks {
		if disks[i].Boot != nil && disks[i].Device == "disk" && root < 0 {
			root = i
		}
	}
	for i := range disks {
		if root < 0 && (disks[i].Device == "disk" || disks[i].Device == "") {
			root = i
		}
	}
	clearDeviceBootOrders(d)
	order := uint(0)
	next := func() *libvirtxml.DomainDeviceBoot { order++; return &libvirtxml.DomainDeviceBoot{Order: order} }
	for _, dev := range bootDev {
		switch dev {
		case "hd":
			if root >= 0 && disks[root].Boot == nil {
				disks[root].Boot = next()
			}
		case "cdrom", "fd":
			want := map[string]string{"cdrom": "cdrom", "fd": "floppy"}[dev]
			for i := range disks {
				if disks[i].Device == want && disks[i].Boot == nil {
					disks[i].Boot = next()
				}
			}
		case "network":
			if len(d.Devices.Interfaces) > 0 && d.Devices.Interfaces[0].Boot == nil {
				d.Devices.Interfaces[0].Boot = next()
			}
		}
	}
}

func hasDeviceBootOrder(d *libvirtxml.Domain) bool {
	if d.Devices == nil {
		return false
	}
	for _, x := range d.Devices.Disks {
		if x.Boot != nil {
			return true
		}
	}
	for _, x := range d.Devices.Interfaces {
		if x.Boot != nil {
			return true
		}
	}
	for _, x := range d.Devices.Hostdevs {
		if x.Boot != nil {
			return true
		}
	}
	for _, x := range d.Devices.RedirDevs {
		if x.Boot != nil {
			return true
		}
	}
	return false
}

func clearDeviceBootOrders(d *libvirtxml.Domain) {
	for i := range d.Devices.Disks {
		d.Devices.Disks[i].Boot = nil
	}
	for i := range d.Devices.Interfaces {
		d.Devices.Interfaces[i].Boot = nil
	}
	for i := range d.Devices.Hostdevs {
		d.Devices.Hostdevs[i].Boot = nil
	}
	for i := range d.Devices.RedirDevs {
		d.Devices.RedirDevs[i].Boot = nil
	}
}

// failed answers as the stock handlers do: a KvmError in the envelope, a
// libvirt error as its message through replyerror, anything else as is.
//
//strata:copy upstream/vmplugin.failed h1:UXZVUwtumPCBfo18bc/T7nyMomiWYJI9Iv0oeax/LhE=
func failed(err error) (any, error) {
	var kerr *kvmagent.KvmError
	if errors.As(err, &kerr) {
		rsp := kvmagent.NewAgentResponse()
		rsp.Fail(err)
		return &rsp, nil
	}
	if lerr, ok := err.(libvirt.Error); ok {
		return nil, errors.New(lerr.Message)
	}
	return nil, err
}
