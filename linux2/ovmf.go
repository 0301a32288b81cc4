package linux2

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Where QEMU firmware descriptors live, lowest precedence first: a file in
// /etc/qemu/firmware replaces the same-named one in /usr/share/qemu/firmware,
// and an empty one hides it (QEMU's docs/interop/firmware.json). The per-user
// $XDG_CONFIG_HOME directory is left out: the agent runs as root, libvirtd
// as root reads only these two.
var firmwareDescriptorDirs = []string{"/usr/share/qemu/firmware", "/etc/qemu/firmware"}

// Descriptor features this package reads (firmware.json's FirmwareFeature).
const (
	FeatureSecureBoot   = "secure-boot"
	FeatureEnrolledKeys = "enrolled-keys"
	FeatureRequiresSMM  = "requires-smm"
)

// FirmwareDescriptor is one QEMU firmware descriptor: the parts of
// docs/interop/firmware.json's Firmware that choosing OVMF needs.
type FirmwareDescriptor struct {
	Path           string           `json:"-"` // the descriptor's host path
	Description    string           `json:"description"`
	InterfaceTypes []string         `json:"interface-types"` // "uefi", "bios", ...
	Mapping        FirmwareMapping  `json:"mapping"`
	Targets        []FirmwareTarget `json:"targets"`
	Features       []string         `json:"features"`
	Tags           []string         `json:"tags"`
}

// FirmwareMapping is how the firmware is mapped into the guest.
type FirmwareMapping struct {
	Device        string       `json:"device"`         // "flash", "kernel" or "memory"
	Mode          string       `json:"mode,omitempty"` // flash only: "split" (default), "combined", "stateless"
	Executable    FirmwareFile `json:"executable"`
	NVRAMTemplate FirmwareFile `json:"nvram-template"`
	Filename      string       `json:"filename,omitempty"` // device "kernel" and "memory"
}

// FirmwareFile is one flash image.
type FirmwareFile struct {
	Filename string `json:"filename"`
	Format   string `json:"format"` // "raw" or "qcow2"
}

// FirmwareTarget is an architecture and the machine types (globs such as
// "pc-q35-*") the firmware runs on.
type FirmwareTarget struct {
	Architecture string   `json:"architecture"`
	Machines     []string `json:"machines"`
}

// HasFeature reports whether the descriptor lists feature f.
func (d FirmwareDescriptor) HasFeature(f string) bool { return slices.Contains(d.Features, f) }

// ParseFirmwareDescriptor decodes one descriptor file's JSON.
func ParseFirmwareDescriptor(data []byte) (FirmwareDescriptor, error) {
	var d FirmwareDescriptor
	if err := json.Unmarshal(data, &d); err != nil {
		return d, fmt.Errorf("parse firmware descriptor: %w", err)
	}
	return d, nil
}

// FirmwareDescriptors reads the descriptors in QEMU's search order: by file
// name, /etc/qemu/firmware replacing (or, when empty, hiding) a same-named
// file of /usr/share/qemu/firmware. Missing directories hold none.
func (h *Host) FirmwareDescriptors() ([]FirmwareDescriptor, error) {
	byName := map[string]string{} // file name → host path; "" when hidden
	for _, dir := range firmwareDescriptorDirs {
		entries, err := os.ReadDir(h.path(dir))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ovmf: read %s: %w", h.path(dir), err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			p := path.Join(dir, e.Name())
			if info, err := os.Stat(h.path(p)); err == nil && info.Size() == 0 {
				p = ""
			}
			byName[e.Name()] = p
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []FirmwareDescriptor
	for _, n := range names {
		p := byName[n]
		if p == "" {
			continue
		}
		text, err := h.readText(p)
		if err != nil {
			return nil, fmt.Errorf("ovmf: %w", err)
		}
		d, err := ParseFirmwareDescriptor([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("ovmf: %s: %w", h.path(p), err)
		}
		d.Path = p
		out = append(out, d)
	}
	return out, nil
}

// FirmwareQuery says which UEFI firmware a VM needs.
type FirmwareQuery struct {
	Arch       string // as in descriptors: "x86_64"
	Machine    string // "q35", "pc", or a versioned type such as "pc-q35-7.2"
	SecureBoot bool   // on: secure boot enforced from the first boot (keys enrolled); off: no secure-boot build
}

func (q FirmwareQuery) String() string {
	sb := "off"
	if q.SecureBoot {
		sb = "on"
	}
	return fmt.Sprintf("%s %s, secure boot %s", q.Arch, q.Machine, sb)
}

// Firmware is a chosen pair of flash images, as host paths.
type Firmware struct {
	Code         string // read-only executable (libvirt's <loader>)
	VarsTemplate string // copied per VM into its NVRAM (libvirt's <nvram template=...>)
	SecureBoot   bool
	RequiresSMM  bool   // the domain needs <features><smm state='on'/>
	Descriptor   string // host path of the descriptor it came from; "" when found by Debian's file names
}

// debianOVMF is Debian's ovmf package, newest names first, for hosts whose
// QEMU ships no descriptors. The .ms code file is a symlink to .secboot;
// both want SMM, and OVMF_VARS*.ms.fd has Microsoft's keys enrolled and
// secure boot on (the package's README.Debian).
var debianOVMF = []Firmware{
	{Code: "/usr/share/OVMF/OVMF_CODE_4M.fd", VarsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd"},
	{Code: "/usr/share/OVMF/OVMF_CODE.fd", VarsTemplate: "/usr/share/OVMF/OVMF_VARS.fd"},
	{Code: "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", VarsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", SecureBoot: true, RequiresSMM: true},
	{Code: "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", VarsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", SecureBoot: true, RequiresSMM: true},
	{Code: "/usr/share/OVMF/OVMF_CODE.ms.fd", VarsTemplate: "/usr/share/OVMF/OVMF_VARS.ms.fd", SecureBoot: true, RequiresSMM: true},
	{Code: "/usr/share/OVMF/OVMF_CODE.secboot.fd", VarsTemplate: "/usr/share/OVMF/OVMF_VARS.ms.fd", SecureBoot: true, RequiresSMM: true},
}

// FindFirmware picks UEFI firmware for q: the first descriptor, in QEMU's
// order, that matches and whose files exist; on a host with no descriptors
// at all, the first of Debian's ovmf file pairs that exists (x86_64 q35, or
// pc without secure boot). The error lists every descriptor passed over and
// why, or the Debian files looked for.
func (h *Host) FindFirmware(q FirmwareQuery) (Firmware, error) {
	descs, err := h.FirmwareDescriptors()
	if err != nil {
		return Firmware{}, err
	}
	var skipped []string
	for _, d := range descs {
		why := h.rejectDescriptor(d, q)
		if why == "" {
			return Firmware{
				Code: d.Mapping.Executable.Filename, VarsTemplate: d.Mapping.NVRAMTemplate.Filename,
				SecureBoot: d.HasFeature(FeatureSecureBoot), RequiresSMM: d.HasFeature(FeatureRequiresSMM),
				Descriptor: d.Path,
			}, nil
		}
		skipped = append(skipped, path.Base(d.Path)+": "+why)
	}
	// Descriptors, when there are any, are the distribution's word (libvirt
	// reads nothing else); Debian's names are for a QEMU that ships none.
	var tried []string
	q35, pc := machineMatches("pc-q35-*", q.Machine), machineMatches("pc-i440fx-*", q.Machine)
	if len(descs) == 0 && q.Arch == "x86_64" && (q35 || pc && !q.SecureBoot) {
		for _, f := range debianOVMF {
			if f.SecureBoot != q.SecureBoot {
				continue
			}
			if h.exists(f.Code) && h.exists(f.VarsTemplate) {
				return f, nil
			}
			tried = append(tried, h.path(f.Code)+" + "+path.Base(f.VarsTemplate))
		}
	}
	msg := fmt.Sprintf("ovmf: no UEFI firmware for %s", q)
	if len(descs) == 0 {
		msg += fmt.Sprintf("; no descriptors in %s", strings.Join(mapPaths(h, firmwareDescriptorDirs), ", "))
	} else {
		msg += "; descriptors passed over: " + strings.Join(skipped, "; ")
	}
	if len(tried) > 0 {
		msg += "; Debian's ovmf files missing: " + strings.Join(tried, ", ")
	}
	return Firmware{}, errors.New(msg + " (is Debian's ovmf package installed?)")
}

// OVMF is the firmware of an x86_64 q35 VM with secure boot on or off.
// Whether it needs SMM is in FindFirmware's result.
func (h *Host) OVMF(secureBoot bool) (code, varsTemplate string, err error) {
	f, err := h.FindFirmware(FirmwareQuery{Arch: "x86_64", Machine: "q35", SecureBoot: secureBoot})
	if err != nil {
		return "", "", err
	}
	return f.Code, f.VarsTemplate, nil
}

// rejectDescriptor says why d does not serve q, or "" when it does.
func (h *Host) rejectDescriptor(d FirmwareDescriptor, q FirmwareQuery) string {
	switch {
	case !slices.Contains(d.InterfaceTypes, "uefi"):
		return "not uefi"
	case d.Mapping.Device != "flash":
		return fmt.Sprintf("device %q, not flash", d.Mapping.Device)
	case d.Mapping.Mode != "" && d.Mapping.Mode != "split":
		return fmt.Sprintf("flash mode %q, not split", d.Mapping.Mode) // per-VM NVRAM needs a separate template
	case d.Mapping.Executable.Filename == "" || d.Mapping.NVRAMTemplate.Filename == "":
		return "no executable or nvram-template"
	case !rawOrUnset(d.Mapping.Executable.Format) || !rawOrUnset(d.Mapping.NVRAMTemplate.Format):
		return "not raw"
	case !targets(d, q):
		return "not for " + q.Arch + " " + q.Machine
	case q.SecureBoot && !d.HasFeature(FeatureSecureBoot):
		return "no secure-boot"
	case q.SecureBoot && !d.HasFeature(FeatureEnrolledKeys):
		return "secure-boot without enrolled-keys (boots with it off)"
	case !q.SecureBoot && d.HasFeature(FeatureSecureBoot):
		return "secure-boot build"
	case !h.exists(d.Mapping.Executable.Filename):
		return "missing " + h.path(d.Mapping.Executable.Filename)
	case !h.exists(d.Mapping.NVRAMTemplate.Filename):
		return "missing " + h.path(d.Mapping.NVRAMTemplate.Filename)
	}
	return ""
}

func rawOrUnset(format string) bool { return format == "" || format == "raw" }

func targets(d FirmwareDescriptor, q FirmwareQuery) bool {
	for _, t := range d.Targets {
		if t.Architecture != q.Arch {
			continue
		}
		for _, glob := range t.Machines {
			if machineMatches(glob, q.Machine) {
				return true
			}
		}
	}
	return false
}

// machineMatches matches a descriptor's machine glob against a machine type.
// libvirt expands the aliases "q35" and "pc" to a versioned type before it
// matches; here an alias stands for its whole family, so "q35" matches
// "pc-q35-*".
func machineMatches(glob, machine string) bool {
	candidates := []string{machine}
	switch machine {
	case "q35":
		candidates = append(candidates, "pc-q35-")
	case "pc":
		candidates = append(candidates, "pc-i440fx-")
	}
	for _, m := range candidates {
		if ok, err := path.Match(glob, m); err == nil && ok {
			return true
		}
	}
	return false
}

func mapPaths(h *Host, hostPaths []string) []string {
	out := make([]string, len(hostPaths))
	for i, p := range hostPaths {
		out[i] = h.path(p)
	}
	return out
}
