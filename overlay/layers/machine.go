package layers

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// DefaultNVRAMDir is libvirt's own directory for per-VM UEFI variables,
// used when layers.uefi.nvram_dir is not set.
const DefaultNVRAMDir = "/var/lib/libvirt/qemu/nvram"

// MachineEx is the ex.machine block: the q35 machine type and UEFI firmware.
type MachineEx struct {
	Type       string `json:"type"`       // "q35" (or a versioned "pc-q35-X.Y")
	UEFI       bool   `json:"uefi"`       // OVMF firmware with a per-VM NVRAM
	SecureBoot bool   `json:"secureBoot"` // needs uefi; turns SMM on
}

var machineBlock = &layer.Block[MachineEx]{Name: "machine", Validate: validateMachine}

// Machine switches the domain to q35, optionally with UEFI.
var Machine = layer.Layer{
	Name: "machine",
	Doc: `Machine type q35 and UEFI (OVMF, secure boot on or off, per-VM NVRAM); IDE disks move to SATA, which q35 has instead of IDE.

	"ex": {"machine": {"type": "q35", "uefi": true, "secureBoot": true}}

The firmware comes from the host (Debian's ovmf); the NVRAM file is
<layers.uefi.nvram_dir>/<uuid>_VARS.fd, created by libvirt from the
firmware's variables template. Secure boot turns SMM on.`,
	Reads: []string{"ex.machine.type", "ex.machine.uefi", "ex.machine.secureBoot", "config:layers.uefi.nvram_dir"},
	Writes: []string{
		"/domain/os/type/@machine",
		"/domain/os/loader",
		"/domain/os/nvram",
		"/domain/features/smm",
		"/domain/devices/disk", // IDE disks are renamed (target dev and bus): a new key
		"/domain/devices/controller",
	},
	Ex:      machineBlock,
	Apply:   applyMachine,
	Records: true,
}

var q35Type = regexp.MustCompile(`^(q35|pc-q35-[0-9]+\.[0-9]+)$`)

func (m *MachineEx) machineType() string {
	if m.Type == "" {
		return "q35"
	}
	return m.Type
}

func validateMachine(m *MachineEx, c *layer.Check) error {
	if !q35Type.MatchString(m.machineType()) {
		return fmt.Errorf(`ex.machine.type: %q is not a q35 machine (want "q35" or "pc-q35-X.Y")`, m.Type)
	}
	if m.SecureBoot && !m.UEFI {
		return fmt.Errorf("ex.machine.secureBoot: secure boot needs uefi: true")
	}
	if m.UEFI && c.Host != nil {
		if _, _, err := firmware(c.Host, m.SecureBoot); err != nil {
			return err
		}
	}
	return nil
}

// firmware is the host's OVMF code and variables template.
func firmware(host layer.Host, secure bool) (code, vars string, err error) {
	code, vars, err = host.OVMF(secure)
	if err != nil {
		return "", "", fmt.Errorf("ex.machine.uefi: no OVMF firmware on this host (Debian: apt-get install ovmf): %w", err)
	}
	if code == "" || vars == "" {
		return "", "", fmt.Errorf("ex.machine.uefi: the host's OVMF lookup gave no code or no variables template")
	}
	return code, vars, nil
}

func applyMachine(c *layer.Context) error {
	m, d := machineBlock.In(c), c.Domain
	typ := m.machineType() // checked with the block (validateMachine)
	if d.OS == nil || d.OS.Type == nil {
		return fmt.Errorf("ex.machine: the stock domain has no <os><type>")
	}
	if arch := d.OS.Type.Arch; arch != "" && arch != "x86_64" {
		return fmt.Errorf("ex.machine.type: q35 is an x86_64 machine; this domain is %s", arch)
	}
	if d.OS.Loader != nil {
		return fmt.Errorf("ex.machine.uefi: the stock domain already has a loader (%s)", d.OS.Loader.Path)
	}
	// What this layer replaces, as it was, for c.Changed: each edit below
	// puts in a new value and leaves these intact.
	wasType, wasNVRam, wasFeatures := d.OS.Type, d.OS.NVRam, d.Features
	var wasSMM *libvirtxml.DomainFeatureSMM
	if wasFeatures != nil {
		wasSMM = wasFeatures.SMM
	}
	if m.UEFI {
		if c.Host == nil {
			return fmt.Errorf("ex.machine.uefi: %w", errNoHost)
		}
		code, vars, err := firmware(c.Host, m.SecureBoot)
		if err != nil {
			return err
		}
		dir := c.Config.NVRAMDir
		if dir == "" {
			dir = DefaultNVRAMDir
		}
		secure := "no"
		if m.SecureBoot {
			secure = "yes"
		}
		d.OS.Loader = &libvirtxml.DomainLoader{Path: code, Readonly: "yes", Secure: secure, Type: "pflash"}
		d.OS.NVRam = &libvirtxml.DomainNVRam{Template: vars, NVRam: filepath.Join(dir, d.UUID+"_VARS.fd")}
		if m.SecureBoot {
			if d.Features == nil {
				d.Features = &libvirtxml.DomainFeatureList{}
			}
			d.Features.SMM = &libvirtxml.DomainFeatureSMM{State: "on"}
		}
	}
	osType := *d.OS.Type
	osType.Machine = typ
	d.OS.Type = &osType
	c.Changed("/domain/os", d.OS, layer.Before("type", wasType),
		layer.Before("loader", (*libvirtxml.DomainLoader)(nil)), layer.Before("nvram", wasNVRam))
	if wasFeatures == nil {
		c.Changed("/domain", d, layer.Before("features", wasFeatures))
	} else {
		c.Changed("/domain/features", d.Features, layer.Before("smm", wasSMM))
	}
	if d.Devices != nil {
		disks, controllers := slices.Clone(d.Devices.Disks), slices.Clone(d.Devices.Controllers)
		moveIDEToSATA(d)
		c.Changed("/domain/devices", d.Devices, layer.Before("disk", disks), layer.Before("controller", controllers))
	}
	return nil
}

// moveIDEToSATA renames every IDE disk (the stock cdroms hdc-hde, an IDE
// root disk) to the first free sdX on the SATA bus, drops its IDE drive
// address for libvirt to assign, drops IDE controllers and adds a SATA
// controller when none exists.
func moveIDEToSATA(d *libvirtxml.Domain) {
	if d.Devices == nil {
		return
	}
	used := map[string]bool{}
	for _, disk := range d.Devices.Disks {
		if disk.Target != nil {
			used[disk.Target.Dev] = true
		}
	}
	moved := false
	next := 0
	for i := range d.Devices.Disks {
		disk := &d.Devices.Disks[i]
		if disk.Target == nil || disk.Target.Bus != "ide" {
			continue
		}
		target := *disk.Target // a new target: the old one stays as it was
		// A disk already named sdX keeps its name (it is unique already).
		if !strings.HasPrefix(target.Dev, "sd") {
			for ; next < 26 && used[fmt.Sprintf("sd%c", 'a'+next)]; next++ {
			}
			target.Dev = fmt.Sprintf("sd%c", 'a'+next)
			used[target.Dev] = true
		}
		target.Bus = "sata"
		disk.Target = &target
		disk.Address = nil
		moved = true
	}
	controllers := d.Devices.Controllers[:0]
	hasSATA := false
	for _, ctl := range d.Devices.Controllers {
		if ctl.Type == "ide" {
			continue
		}
		hasSATA = hasSATA || ctl.Type == "sata"
		controllers = append(controllers, ctl)
	}
	d.Devices.Controllers = controllers
	if moved && !hasSATA {
		zero := uint(0)
		d.Devices.Controllers = append(d.Devices.Controllers, libvirtxml.DomainController{Type: "sata", Index: &zero})
	}
}
