package vmplugin

import (
	"context"
	"reflect"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// newTestContext is a BuildContext over an empty Domain, as each step
// test starts from nothing (like KubeVirt's per-section converter tests).
func newTestContext(cmd *StartVmCmd, cfg Config, host Host) *BuildContext {
	if host == nil {
		host = newFakeHost()
	}
	return &BuildContext{Ctx: context.Background(), Cmd: cmd, Config: cfg, Host: host, Domain: &libvirtxml.Domain{}}
}

var (
	cfgX86   = Config{DomainType: "kvm", Arch: ArchX86_64}
	cfgArm64 = Config{DomainType: "kvm", Arch: ArchAarch64}
)

// runStep runs one step on an empty Domain.
func runStep(t *testing.T, step func(*BuildContext) error, cmd *StartVmCmd, cfg Config, host Host) (*libvirtxml.Domain, error) {
	t.Helper()
	c := newTestContext(cmd, cfg, host)
	err := step(c)
	return c.Domain, err
}

// assertDomain compares whole Domains and shows both as XML on mismatch.
func assertDomain(t *testing.T, got, want *libvirtxml.Domain) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	gx, _ := got.Marshal()
	wx, _ := want.Marshal()
	t.Errorf("domain mismatch\n got: %s\nwant: %s", gx, wx)
}

// checkStep checks a step's outcome against its table row: the exact error
// when one is wanted, else the whole Domain.
func checkStep(t *testing.T, got *libvirtxml.Domain, err error, wantErr string, want *libvirtxml.Domain) {
	t.Helper()
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	assertDomain(t, got, want)
}

func devicesOnly(d libvirtxml.DomainDeviceList) *libvirtxml.Domain {
	return &libvirtxml.Domain{Devices: &d}
}

// baseCmd is mn-contract.md's example (a): the plainest real command.
func baseCmd() *StartVmCmd {
	return &StartVmCmd{
		VMInstanceUUID:   "5d1f7c3a9b2e4f60a8c4d2e1b7f9a013",
		VMInternalID:     17,
		VMName:           "web-01",
		Memory:           2147483648,
		CPUNum:           2,
		SocketNum:        1,
		CPUOnSocket:      2,
		ConsolePassword:  new("s3cret"),
		BootDev:          []string{"hd"},
		RootVolume:       &VolumeTO{InstallPath: "/ps/root.qcow2", DeviceID: 0, DeviceType: "file", VolumeUUID: "r0", UseVirtio: true, CacheMode: "none"},
		Nics:             []NicTO{{Mac: "fa:3e:7a:9c:41:00", BridgeName: "br_eth0", UUID: "n0", NicInternalName: "vnic17.0"}},
		Addons:           &Addons{Channel: &Channel{SocketPath: "/var/lib/libvirt/qemu/5d1f7c3a9b2e4f60a8c4d2e1b7f9a013", TargetName: "org.qemu.guest_agent.0"}},
		UseVirtio:        true,
		ConsoleMode:      "vnc",
		HostManagementIP: "10.0.0.21",
		Clock:            "utc",
		VideoType:        "cirrus",
		UsbRedirect:      "false",
		VDIMonitorNumber: 1,
		UseBootMenu:      true,
	}
}

// cmdWith returns baseCmd changed by f.
func cmdWith(f func(*StartVmCmd)) *StartVmCmd {
	c := baseCmd()
	f(c)
	return c
}
