package layers_test

import (
	"fmt"
	"testing"

	"github.com/strataagent/strata/overlay/layers"
)

func TestMachine(t *testing.T) {
	ctx, err := applyLayer(t, layers.Machine, errCase{ex: `{"machine":{"type":"q35","uefi":true,"secureBoot":true}}`})
	if err != nil {
		t.Fatal(err)
	}
	d := ctx.Domain
	if d.OS.Type.Machine != "q35" || d.OS.Loader.Secure != "yes" || d.OS.Loader.Type != "pflash" || d.OS.Loader.Readonly != "yes" {
		t.Errorf("os: %+v loader %+v", d.OS.Type, d.OS.Loader)
	}
	if want := "/var/lib/libvirt/qemu/nvram/" + d.UUID + "_VARS.fd"; d.OS.NVRam.NVRam != want || d.OS.NVRam.Template != "/usr/share/OVMF/OVMF_VARS_4M.ms.fd" {
		t.Errorf("nvram %+v, want %s", d.OS.NVRam, want)
	}
	if d.Features.SMM == nil || d.Features.SMM.State != "on" {
		t.Errorf("smm %+v", d.Features.SMM)
	}
	devs := map[string]bool{}
	for _, disk := range d.Devices.Disks {
		if disk.Target.Bus == "ide" {
			t.Errorf("disk %s still on ide", disk.Target.Dev)
		}
		if devs[disk.Target.Dev] {
			t.Errorf("target dev %s twice", disk.Target.Dev)
		}
		devs[disk.Target.Dev] = true
	}
	sata := 0
	for _, c := range d.Devices.Controllers {
		if c.Type == "sata" {
			sata++
		}
	}
	if sata != 1 {
		t.Errorf("%d sata controllers, want 1", sata)
	}

	// an IDE root disk named sda keeps its name; the cdroms take the next ones
	ctx, err = applyLayer(t, layers.Machine, errCase{base: "windows_localtime", ex: `{"machine":{}}`})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, disk := range ctx.Domain.Devices.Disks {
		got = append(got, disk.Target.Dev+"/"+disk.Target.Bus)
	}
	if want := "[sda/sata vdb/virtio sdb/sata sdc/sata sdd/sata]"; fmt.Sprint(got) != want {
		t.Errorf("disks %v, want %s", got, want)
	}
	if ctx.Domain.OS.Loader != nil {
		t.Errorf("a loader without uefi: %+v", ctx.Domain.OS.Loader)
	}

	runErrCases(t, layers.Machine, []errCase{
		{name: "type", ex: `{"machine":{"type":"pc-i440fx-7.2"}}`, want: `ex.machine.type: "pc-i440fx-7.2" is not a q35 machine (want "q35" or "pc-q35-X.Y")`},
		{name: "secure without uefi", ex: `{"machine":{"secureBoot":true}}`, want: `ex.machine.secureBoot: secure boot needs uefi: true`},
		{name: "no ovmf", ex: `{"machine":{"uefi":true}}`, host: func(h *fakeHost) { h.ovmfErr = errNoOVMF },
			want: `ex.machine.uefi: no OVMF firmware on this host (Debian: apt-get install ovmf): no firmware descriptor under /usr/share/qemu/firmware`},
	})
}
