package vmplugin

import (
	"errors"
	"reflect"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestParseISCSIPath(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    ISCSITarget
		wantErr bool
	}{
		{"iscsi://10.0.0.5:3260/iqn.2016-01.com.example:t1/1", ISCSITarget{Hostname: "10.0.0.5", Port: "3260", Target: "iqn.2016-01.com.example:t1", Lun: "1"}, false},
		// lstrip('iscsi://') takes a character set: the host loses its
		// leading i, s and c, as in the seed.
		{"iscsi://iscsi-host:3260/t/0", ISCSITarget{Hostname: "-host", Port: "3260", Target: "t", Lun: "0"}, false},
		{"iscsi://h:1/x", ISCSITarget{}, true},
		{"iscsi://h:1/x/1/extra", ISCSITarget{}, true},
		{"iscsi://h/x/1", ISCSITarget{}, true},
		{"iscsi://[::1]:3260/x/1", ISCSITarget{}, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseISCSIPath(tc.in, "rootVolume.installPath")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if want := "rootVolume.installPath: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
					t.Errorf("error %q does not name the field", err)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func iscsiRoot(f func(*VolumeTO)) func(*StartVmCmd) {
	return func(c *StartVmCmd) {
		c.RootVolume = &VolumeTO{InstallPath: "iscsi://10.0.0.5:3260/iqn.x:t1/2", DeviceID: 0, DeviceType: "iscsi", VolumeUUID: "r0", CacheMode: "none"}
		c.BootDev = []string{"cdrom"}
		if f != nil {
			f(c.RootVolume)
		}
	}
}

func TestISCSIVolume(t *testing.T) {
	raw := &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw", Cache: "none"}
	network := func() libvirtxml.DomainDisk {
		return libvirtxml.DomainDisk{
			Device: "disk", Driver: raw,
			Source: &libvirtxml.DomainDiskSource{Network: &libvirtxml.DomainDiskSourceNetwork{
				Protocol: "iscsi", Name: "iqn.x:t1/2", Hosts: []libvirtxml.DomainDiskSourceHost{{Name: "10.0.0.5", Port: "3260"}},
			}},
			Target: diskTarget("sda", "scsi"), Shareable: &libvirtxml.DomainDiskShareable{},
		}
	}
	withAuth := network()
	secretUUID, _ := OfflineHost{}.ISCSISecret(t.Context(), "r0", "", "")
	withAuth.Auth = &libvirtxml.DomainDiskAuth{Username: "u", Secret: &libvirtxml.DomainDiskSecret{Type: "iscsi", UUID: secretUUID}}

	for _, tc := range []struct {
		name        string
		cmd         *StartVmCmd
		want        libvirtxml.DomainDisk
		wantLogins  []ISCSITarget
		wantSecrets []string
	}{
		{"useVirtio false: BlkIscsi logs in, lun 1 device", cmdWith(iscsiRoot(func(v *VolumeTO) { v.ChapUsername, v.ChapPassword = "u", "p" })),
			libvirtxml.DomainDisk{Device: "lun", Driver: raw,
				Source: &libvirtxml.DomainDiskSource{Block: &libvirtxml.DomainDiskSourceBlock{Dev: "/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.x:t1-lun-1"}},
				Target: &libvirtxml.DomainDiskTarget{Dev: "sda"}},
			[]ISCSITarget{{Hostname: "10.0.0.5", Port: "3260", Target: "iqn.x:t1", Lun: "2", ChapUsername: "u", ChapPassword: "p"}}, nil},
		{"useVirtio: VirtioIscsi without CHAP", cmdWith(iscsiRoot(func(v *VolumeTO) { v.UseVirtio = true; v.ChapUsername = "u" })),
			network(), nil, nil},
		{"useVirtio: VirtioIscsi with CHAP defines a secret", cmdWith(iscsiRoot(func(v *VolumeTO) { v.UseVirtio = true; v.ChapUsername, v.ChapPassword = "u", "p" })),
			withAuth, nil, []string{"r0|iqn.x:t1|p"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHost()
			got, err := runStep(t, MakeVolumes, tc.cmd, cfgX86, h)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{tc.want}}))
			if !reflect.DeepEqual(h.iscsiLogins, tc.wantLogins) {
				t.Errorf("logins = %+v, want %+v", h.iscsiLogins, tc.wantLogins)
			}
			if !reflect.DeepEqual(h.iscsiSecrets, tc.wantSecrets) {
				t.Errorf("secrets = %q, want %q", h.iscsiSecrets, tc.wantSecrets)
			}
		})
	}
	t.Run("login failure", func(t *testing.T) {
		boom := errors.New("iscsiadm: no portal")
		h := newFakeHost()
		h.err = map[string]error{"ISCSILogin": boom}
		if _, err := runStep(t, MakeVolumes, cmdWith(iscsiRoot(nil)), cfgX86, h); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}
