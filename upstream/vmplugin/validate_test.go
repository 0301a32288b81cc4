package vmplugin

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want string // "" = valid; else a substring of the error
	}{
		{"valid", baseCmd(), ""},
		{"vmName may carry quotes and parentheses", cmdWith(func(c *StartVmCmd) { c.VMName = `win "2012" (r2) & co` }), ""},
		{"vmInstanceUuid dashed", cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = "5d1f7c3a-9b2e-4f60-a8c4-d2e1b7f9a013" }), ""},
		{"vmInstanceUuid missing", cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = "" }), "vmInstanceUuid: missing"},
		{"vmInstanceUuid not hex", cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = "vm-1" }), "vmInstanceUuid: \"vm-1\" is not a uuid"},
		{"vmInstanceUuid leading dash", cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = "-abc" }), "vmInstanceUuid: \"-abc\" starts with '-'"},
		{"rootVolume missing", cmdWith(func(c *StartVmCmd) { c.RootVolume = nil }), "rootVolume: missing"},
		{"rootVolume.installPath semicolon", cmdWith(func(c *StartVmCmd) { c.RootVolume.InstallPath = "/ps/a;rm -rf /" }), `rootVolume.installPath: "/ps/a;rm -rf /" contains shell metacharacter ';'`},
		{"dataVolumes[1].installPath command substitution", cmdWith(func(c *StartVmCmd) {
			c.DataVolumes = []VolumeTO{dataFile("/ps/ok.qcow2", 1, nil), dataFile("/ps/$(id).qcow2", 2, nil)}
		}), "dataVolumes[1].installPath:"},
		{"dataVolumes[0].volumeUuid backtick", cmdWith(func(c *StartVmCmd) {
			c.DataVolumes = []VolumeTO{dataFile("/ps/ok.qcow2", 1, func(v *VolumeTO) { v.VolumeUUID = "a`b`" })}
		}), "dataVolumes[0].volumeUuid:"},
		{"rootVolume.installPath leading dash", cmdWith(func(c *StartVmCmd) { c.RootVolume.InstallPath = "-oops" }), "rootVolume.installPath: \"-oops\" starts with '-'"},
		{"rootVolume.monInfo hostname pipe", cmdWith(func(c *StartVmCmd) { c.RootVolume.MonInfo = []MonInfo{{Hostname: "a|b"}} }), "rootVolume.monInfo[0].hostname:"},
		{"bootIso[0].path glob", cmdWith(func(c *StartVmCmd) { c.BootIso = []IsoTO{{Path: "/iso/*.iso"}} }), "bootIso[0].path:"},
		{"bootIso[0].path brackets", cmdWith(func(c *StartVmCmd) { c.BootIso = []IsoTO{{Path: "/iso/[a].iso"}} }), "bootIso[0].path:"},
		{"nics[0].bridgeName newline", cmdWith(func(c *StartVmCmd) { c.Nics[0].BridgeName = "br0\nreboot" }), "nics[0].bridgeName:"},
		{"nics[0].nicInternalName redirect", cmdWith(func(c *StartVmCmd) { c.Nics[0].NicInternalName = "vnic>x" }), "nics[0].nicInternalName:"},
		{"addons.channel.socketPath quote", cmdWith(func(c *StartVmCmd) { c.Addons.Channel.SocketPath = `/tmp/a'b` }), "addons.channel.socketPath:"},
		{"addons.channel.targetName backslash", cmdWith(func(c *StartVmCmd) { c.Addons.Channel.TargetName = `a\b` }), "addons.channel.targetName:"},
		{"addons.qemuPath ampersand", cmdWith(func(c *StartVmCmd) { c.Addons.QemuPath = "/usr/bin/qemu&" }), "addons.qemuPath:"},
		{"addons.qemuPath question mark", cmdWith(func(c *StartVmCmd) { c.Addons.QemuPath = "/usr/bin/qemu?" }), "addons.qemuPath:"},
		{"addons.pciDevice[0] paren", cmdWith(func(c *StartVmCmd) { c.Addons.PciDevice = []string{"00:01.0)"} }), "addons.pciDevice[0]:"},
		{"addons.ceph_secret_uuid double quote", cmdWith(func(c *StartVmCmd) { c.Addons.CephSecretUUID = `"x` }), "addons.ceph_secret_uuid:"},
		{"several problems are all reported", cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = ""; c.RootVolume = nil }), "rootVolume: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cmd.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	var nilCmd *StartVmCmd
	if nilCmd.Validate() == nil {
		t.Error("nil command validated")
	}
}

// TestValidateGoldenCorpus: every command the builder's golden tests use
// is one the agent accepts.
func TestValidateGoldenCorpus(t *testing.T) {
	for _, gc := range loadGoldenCases(t) {
		if err := gc.cmd.Validate(); err != nil {
			t.Errorf("%s: %v", gc.name, err)
		}
	}
}

// TestValidateEchoBounded: refusals of huge fields say their size, never
// echo them whole.
func TestValidateEchoBounded(t *testing.T) {
	huge := strings.Repeat("x", 8<<20)
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want string
	}{
		{"uuid", cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = huge }), "vmInstanceUuid: 8388608 bytes is not a uuid (at most 64)"},
		{"name", cmdWith(func(c *StartVmCmd) { c.VMName = huge }), "vmName: 8388608 bytes is more than the 4096 a VM name may have"},
		{"path", cmdWith(func(c *StartVmCmd) { c.RootVolume.InstallPath = "-" + huge }), "… (8388609 bytes) starts with '-'"},
	} {
		err := tc.cmd.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || len(err.Error()) > 4096 {
			t.Errorf("%s: %.300v", tc.name, err)
		}
	}
}
