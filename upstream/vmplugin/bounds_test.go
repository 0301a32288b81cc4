package vmplugin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strataagent/strata/upstream/virtconn"
)

// TestValidateBounds: every number of a StartVmCmd is held to its bound,
// with an error naming the field and the bound; values at the bound pass.
func TestValidateBounds(t *testing.T) {
	vol := func(id int) VolumeTO { return dataFile("/ps/d.qcow2", id, nil) }
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want string // "" = valid; else the exact text of one of the joined errors
	}{
		{"cpuNum max int32", cmdWith(func(c *StartVmCmd) { c.CPUNum = 2147483647 }),
			"cpuNum: 2147483647 exceeds the maximum of 4096 vCPUs libvirt accepts (QEMU_GUEST_VCPU_MAX_ID)"},
		{"cpuNum 0", cmdWith(func(c *StartVmCmd) { c.CPUNum = 0 }), "cpuNum: 0 is below the minimum of 1"},
		{"cpuNum negative", cmdWith(func(c *StartVmCmd) { c.CPUNum = -4 }), "cpuNum: -4 is below the minimum of 1"},
		{"cpuNum above the NUMA maximum", cmdWith(func(c *StartVmCmd) { c.UseNuma = true; c.CPUNum = 129 }),
			"cpuNum: 129 exceeds the NUMA maximum of 128 vCPUs (<vcpu current> cannot exceed <vcpu>)"},
		{"NUMA ignores the topology fields", cmdWith(func(c *StartVmCmd) { c.UseNuma = true; c.CPUNum = 128; c.SocketNum = 0 }), ""},
		{"socketNum 0", cmdWith(func(c *StartVmCmd) { c.SocketNum = 0 }), "socketNum: 0 is below the minimum of 1"},
		{"cpuOnSocket huge", cmdWith(func(c *StartVmCmd) { c.CPUOnSocket = 2147483647 }),
			"cpuOnSocket: 2147483647 exceeds the maximum of 4096 vCPUs libvirt accepts (QEMU_GUEST_VCPU_MAX_ID)"},
		{"topology product", cmdWith(func(c *StartVmCmd) { c.SocketNum = 4; c.CPUOnSocket = 4 }),
			"socketNum * cpuOnSocket: 4 * 4 = 16 does not match cpuNum 2 (libvirt: CPU topology doesn't match the desired vcpu count)"},
		{"cpuSpeed negative", cmdWith(func(c *StartVmCmd) { c.CPUSpeed = -1 }), "cpuSpeed: -1 is negative"},
		{"cpuSpeed huge", cmdWith(func(c *StartVmCmd) { c.CPUSpeed = 1 << 62 }), "cpuSpeed: 4611686018427387904 exceeds the maximum of 262144 cpu shares"},
		{"cpu shares product", cmdWith(func(c *StartVmCmd) { c.CPUSpeed = 200000 }),
			"cpuSpeed: cpuSpeed * cpuNum = 200000 * 2 = 400000 exceeds the maximum of 262144 cpu shares"},
		{"cpu shares at the maximum", cmdWith(func(c *StartVmCmd) { c.CPUSpeed = 131072 }), ""},
		{"memory huge", cmdWith(func(c *StartVmCmd) { c.Memory = 9223372036854775807 }),
			"memory: 9223372036854775807 bytes exceeds the maximum of 70368744177664 (64 TiB)"},
		{"memory at 64 TiB", cmdWith(func(c *StartVmCmd) { c.Memory = 70368744177664 }), ""},
		{"memory negative", cmdWith(func(c *StartVmCmd) { c.Memory = -1 }), "memory: -1 bytes is below the minimum of 1024 (1 KiB)"},
		{"memory below a KiB", cmdWith(func(c *StartVmCmd) { c.Memory = 1023 }), "memory: 1023 bytes is below the minimum of 1024 (1 KiB)"},
		{"qxl monitors max int32", cmdWith(func(c *StartVmCmd) { c.VideoType = "qxl"; c.VDIMonitorNumber = 2147483647 }),
			"VDIMonitorNumber: 2147483647 is out of range [0, 4] qxl monitors"},
		{"qxl monitors 4", cmdWith(func(c *StartVmCmd) { c.VideoType = "qxl"; c.VDIMonitorNumber = 4 }), ""},
		{"qxl monitors negative", cmdWith(func(c *StartVmCmd) { c.VideoType = "qxl"; c.VDIMonitorNumber = -1 }),
			"VDIMonitorNumber: -1 is out of range [0, 4] qxl monitors"},
		{"monitors unused without qxl", cmdWith(func(c *StartVmCmd) { c.VDIMonitorNumber = 2147483647 }), ""},
		{"vmInternalId negative", cmdWith(func(c *StartVmCmd) { c.VMInternalID = -17 }), "vmInternalId: -17 is negative"},
		{"timeout negative", cmdWith(func(c *StartVmCmd) { c.Timeout = -1 }), "timeout: -1 is out of range [0, 10800] seconds"},
		{"timeout overflowing a Duration", cmdWith(func(c *StartVmCmd) { c.Timeout = 1 << 40 }), "timeout: 1099511627776 is out of range [0, 10800] seconds"},
		{"data deviceId 25", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{vol(25)} }),
			"dataVolumes[0].deviceId: exceeds max disk limit, it's 25 but only 26 allowed"},
		{"data deviceId negative", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{vol(-1)} }), "dataVolumes[0].deviceId: -1 is negative"},
		{"data deviceId collides with the root's", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{vol(0)} }),
			"dataVolumes[0].deviceId: 0 is also the deviceId of rootVolume"},
		{"data deviceIds collide", cmdWith(func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{vol(1), vol(2), vol(1)} }),
			"dataVolumes[2].deviceId: 1 is also the deviceId of dataVolumes[0]"},
		{"24 data volumes", cmdWith(func(c *StartVmCmd) {
			for i := 1; i < len(DeviceLetters); i++ {
				c.DataVolumes = append(c.DataVolumes, vol(i))
			}
		}), ""},
		{"iso deviceId 3", cmdWith(func(c *StartVmCmd) { c.BootIso = []IsoTO{{Path: "/iso/a.iso", DeviceID: 3}} }),
			"bootIso[0].deviceId: 3 is out of range [0, 2] cdrom slots"},
		{"iso deviceId negative", cmdWith(func(c *StartVmCmd) { c.BootIso = []IsoTO{{Path: "/iso/a.iso", DeviceID: -1}} }),
			"bootIso[0].deviceId: -1 is out of range [0, 2] cdrom slots"},
		{"iso deviceIds collide", cmdWith(func(c *StartVmCmd) {
			c.BootIso = []IsoTO{{Path: "/iso/a.iso", DeviceID: 2}, {Path: "/iso/b.iso", DeviceID: 2}}
		}), "bootIso[1].deviceId: 2 is also the deviceId of bootIso[0]"},
		{"nic deviceIds collide", cmdWith(func(c *StartVmCmd) { c.Nics = append(c.Nics, c.Nics[0]) }),
			"nics[1].deviceId: 0 is also the deviceId of nics[0]"},
		{"nic deviceId negative", cmdWith(func(c *StartVmCmd) { c.Nics[0].DeviceID = -3 }), "nics[0].deviceId: -3 is negative"},
		{"nic name longer than IFNAMSIZ", cmdWith(func(c *StartVmCmd) { c.Nics[0].NicInternalName = "vnic1234567890.0" }),
			`nics[0].nicInternalName: "vnic1234567890.0" is longer than the kernel's 15-byte interface names`},
		{"mon port", cmdWith(func(c *StartVmCmd) { c.RootVolume.MonInfo = []MonInfo{{Hostname: "m", Port: 70000}} }),
			"rootVolume.monInfo[0].port: 70000 is out of range [0, 65535]"},
		{"volume iops huge", cmdWith(func(c *StartVmCmd) { c.Addons.VolumeQos = map[string]VolumeQos{"r0": {TotalIops: 1 << 62}} }),
			"addons.VolumeQos[r0].totalIops: 4611686018427387904 is out of range [0, 1000000000000000]"},
		{"volume bandwidth negative", cmdWith(func(c *StartVmCmd) { c.Addons.VolumeQos = map[string]VolumeQos{"r0": {TotalBandwidth: -1}} }),
			"addons.VolumeQos[r0].totalBandwidth: -1 is out of range [0, 1000000000000000]"},
		{"volume qos at the maximum", cmdWith(func(c *StartVmCmd) {
			c.Addons.VolumeQos = map[string]VolumeQos{"r0": {TotalBandwidth: 1e15, TotalIops: 1e15}}
		}), ""},
		{"nic bandwidth huge", cmdWith(func(c *StartVmCmd) { c.Addons.NicQos = map[string]NicQos{"n0": {OutboundBandwidth: 1 << 62}} }),
			"addons.NicQos[n0].outboundBandwidth: 4611686018427387904 bits/s is out of range [8192, 35184372088831] (libvirt's average of 1 to 4294967295 KiB/s)"},
		{"nic bandwidth below 1 KiB/s", cmdWith(func(c *StartVmCmd) { c.Addons.NicQos = map[string]NicQos{"n0": {InboundBandwidth: 8191}} }),
			"addons.NicQos[n0].inboundBandwidth: 8191 bits/s is out of range [8192, 35184372088831] (libvirt's average of 1 to 4294967295 KiB/s)"},
		{"nic bandwidth negative", cmdWith(func(c *StartVmCmd) { c.Addons.NicQos = map[string]NicQos{"n0": {InboundBandwidth: -8192}} }),
			"addons.NicQos[n0].inboundBandwidth: -8192 bits/s is out of range [8192, 35184372088831] (libvirt's average of 1 to 4294967295 KiB/s)"},
		{"nic bandwidth at the maximum", cmdWith(func(c *StartVmCmd) { c.Addons.NicQos = map[string]NicQos{"n0": {InboundBandwidth: 35184372088831}} }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cmd.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if !hasError(err, tc.want) {
				t.Fatalf("Validate() = %v\nwant an error %q", err, tc.want)
			}
		})
	}
}

// hasError reports whether one of the errors joined in err reads exactly want.
func hasError(err error, want string) bool {
	if err == nil {
		return false
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if hasError(e, want) {
				return true
			}
		}
		return false
	}
	return err.Error() == want
}

// TestValidateForHostLimit: the vCPU bound comes from the host for the
// configured domain type; a host that cannot tell leaves the static one.
func TestValidateForHostLimit(t *testing.T) {
	huge := cmdWith(func(c *StartVmCmd) { c.CPUNum = 2147483647 })
	ctx := context.Background()
	live := &LiveHost{Conn: virtconn.New("test:///default", quietLog())}
	t.Cleanup(live.Conn.Close)
	for _, tc := range []struct {
		name string
		host Host
		cfg  Config
		cmd  *StartVmCmd
		want string
	}{
		{"libvirt's test driver", live, cfgX86, huge, "cpuNum: 2147483647 exceeds the maximum of 32 vCPUs for domain type kvm"},
		{"libvirt's test driver, at its maximum", live, cfgX86, cmdWith(func(c *StartVmCmd) { c.CPUNum, c.SocketNum, c.CPUOnSocket = 32, 2, 16 }), ""},
		{"offline x86", OfflineHost{}, cfgX86, huge, "cpuNum: 2147483647 exceeds the maximum of 255 vCPUs for domain type kvm"},
		{"offline aarch64", OfflineHost{}, Config{DomainType: "qemu", Arch: ArchAarch64}, huge,
			"cpuNum: 2147483647 exceeds the maximum of 512 vCPUs for domain type qemu"},
		{"host answers", &fakeBuildHost{maxVCPUs: 288}, cfgX86, huge, "cpuNum: 2147483647 exceeds the maximum of 288 vCPUs for domain type kvm"},
		{"host cannot tell", &fakeBuildHost{err: map[string]error{"MaxVCPUs": errors.New("libvirtd is down")}}, cfgX86, huge,
			"cpuNum: 2147483647 exceeds the maximum of 4096 vCPUs libvirt accepts (QEMU_GUEST_VCPU_MAX_ID)"},
		{"socketNum by the host's bound", &fakeBuildHost{maxVCPUs: 8}, cfgX86, cmdWith(func(c *StartVmCmd) { c.SocketNum = 9 }),
			"socketNum: 9 exceeds the maximum of 8 vCPUs for domain type kvm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cmd.ValidateFor(ctx, tc.cfg, tc.host)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ValidateFor() = %v", err)
				}
				return
			}
			if !hasError(err, tc.want) {
				t.Fatalf("ValidateFor() = %v\nwant an error %q", err, tc.want)
			}
		})
	}
}

// TestMakeVideoBoundsMonitors: Build alone (no Validate) must not allocate
// a card per unit of an unchecked VDIMonitorNumber.
func TestMakeVideoBoundsMonitors(t *testing.T) {
	cmd := cmdWith(func(c *StartVmCmd) { c.VideoType = "qxl"; c.VDIMonitorNumber = 2147483647 })
	_, err := runStep(t, MakeVideo, cmd, cfgX86, nil)
	if err == nil || !strings.Contains(err.Error(), "VDIMonitorNumber: 2147483647 is out of range [0, 4] qxl monitors") {
		t.Fatalf("MakeVideo = %v", err)
	}
}
