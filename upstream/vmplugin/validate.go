package vmplugin

import (
	"errors"
	"fmt"
	"strings"
)

// shellMeta are the characters Validate refuses in anything that reaches
// the host or libvirt as a path or a name. The port runs every command as
// argv, so these are not injectable here; they are refused because the
// seed's helpers pasted such values into /bin/bash command lines, and a
// value the stock agent would have run through a shell is not a value any
// management node legitimately sends.
const shellMeta = ";|&$`<>\\\n\r\x00'\"()*?[]{}"

// Validate rejects a command before anything is built: the two fields the
// builder cannot do without, every number out of libvirt's or QEMU's bounds
// (bounds.go; vCPUs against the most any domain type takes: ValidateFor
// asks the host for its own), duplicate deviceIds, and shell metacharacters (or a leading '-',
// which a command would read as an option) in every path or name that
// reaches the host or libvirt. Errors name the field as JSON does:
// dataVolumes[1].installPath: ...
//
// vmName is not checked: it only becomes <description> text, which the XML
// encoder escapes, and display names legitimately carry quotes and
// parentheses. chapPassword and ceph_secret_key are secrets, passed as argv
// or through libvirt, never as paths.
func (cmd *StartVmCmd) Validate() error { return cmd.validate(staticLimits) }

func (cmd *StartVmCmd) validate(lim limits) error {
	if cmd == nil {
		return errors.New("StartVmCmd: missing")
	}
	var errs []error
	check := func(field, value string) {
		if err := checkSafe(value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
	}

	switch {
	case cmd.VMInstanceUUID == "":
		errs = append(errs, errors.New("vmInstanceUuid: missing"))
	case len(cmd.VMInstanceUUID) > maxUUIDLen:
		errs = append(errs, fmt.Errorf("vmInstanceUuid: %d bytes is not a uuid (at most %d)", len(cmd.VMInstanceUUID), maxUUIDLen))
	case strings.Trim(cmd.VMInstanceUUID, "0123456789abcdefABCDEF-") != "":
		errs = append(errs, fmt.Errorf("vmInstanceUuid: %s is not a uuid (hex digits and '-' only)", quoted(cmd.VMInstanceUUID)))
	case cmd.VMInstanceUUID[0] == '-':
		errs = append(errs, fmt.Errorf("vmInstanceUuid: %s starts with '-'", quoted(cmd.VMInstanceUUID)))
	}
	if len(cmd.VMName) > maxVMNameLen {
		errs = append(errs, fmt.Errorf("vmName: %d bytes is more than the %d a VM name may have", len(cmd.VMName), maxVMNameLen))
	}
	check("hostManagementIp", cmd.HostManagementIP)

	if cmd.RootVolume == nil {
		errs = append(errs, errors.New("rootVolume: missing"))
	} else {
		checkVolume("rootVolume", cmd.RootVolume, check)
	}
	for i := range cmd.DataVolumes {
		checkVolume(fmt.Sprintf("dataVolumes[%d]", i), &cmd.DataVolumes[i], check)
	}
	for i, iso := range cmd.BootIso {
		f := fmt.Sprintf("bootIso[%d]", i)
		check(f+".path", iso.Path)
		check(f+".imageUuid", iso.ImageUUID)
		check(f+".secretUuid", iso.SecretUUID)
		checkMons(f, iso.MonInfo, check)
	}
	for i, nic := range cmd.Nics {
		f := fmt.Sprintf("nics[%d]", i)
		check(f+".mac", nic.Mac)
		check(f+".ip", nic.IP)
		check(f+".bridgeName", nic.BridgeName)
		check(f+".uuid", nic.UUID)
		check(f+".nicInternalName", nic.NicInternalName)
	}
	if a := cmd.Addons; a != nil {
		check("addons.qemuPath", a.QemuPath)
		if a.Channel != nil {
			check("addons.channel.socketPath", a.Channel.SocketPath)
			check("addons.channel.targetName", a.Channel.TargetName)
		}
		check("addons.ceph_secret_uuid", a.CephSecretUUID)
		for i, p := range a.PciDevice {
			check(fmt.Sprintf("addons.pciDevice[%d]", i), p)
		}
		for i, u := range a.UsbDevice {
			check(fmt.Sprintf("addons.usbDevice[%d]", i), u)
		}
	}
	errs = append(errs, cmd.checkBounds(lim)...)
	return errors.Join(errs...)
}

func checkVolume(f string, v *VolumeTO, check func(field, value string)) {
	check(f+".installPath", v.InstallPath)
	check(f+".volumeUuid", v.VolumeUUID)
	check(f+".deviceType", v.DeviceType)
	check(f+".cacheMode", v.CacheMode)
	check(f+".wwn", v.WWN)
	check(f+".secretUuid", v.SecretUUID)
	check(f+".chapUsername", v.ChapUsername)
	checkMons(f, v.MonInfo, check)
}

func checkMons(f string, mons []MonInfo, check func(field, value string)) {
	for i, m := range mons {
		check(fmt.Sprintf("%s.monInfo[%d].hostname", f, i), m.Hostname)
	}
}

// checkSafe refuses shell metacharacters and a leading '-'. Empty values
// pass: whether a field is required is the builder's business.
func checkSafe(v string) error {
	if i := strings.IndexAny(v, shellMeta); i >= 0 {
		return fmt.Errorf("%s contains shell metacharacter %q", quoted(v), v[i])
	}
	if strings.HasPrefix(v, "-") {
		return fmt.Errorf("%s starts with '-'", quoted(v))
	}
	return nil
}

// Bounds on what a refusal echoes: a value is quoted in full up to
// maxQuoted bytes, a longer one cut with its length said, so an 8 MB field
// makes no 8 MB reply, callback or log line.
const (
	maxQuoted    = 256
	maxUUIDLen   = 64
	maxVMNameLen = 4096
)

// quoted is %q of v, cut after maxQuoted bytes.
func quoted(v string) string {
	if len(v) <= maxQuoted {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q… (%d bytes)", v[:maxQuoted], len(v))
}
