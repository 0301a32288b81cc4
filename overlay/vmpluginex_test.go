package overlay_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay"
	"github.com/strataagent/strata/overlay/domaintest"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// buildHost is deterministic: formats from the extension, a fixed emulator.
var buildHost = domaintest.BuildHost{Emulator: "/usr/bin/qemu-system-x86_64"}

type anyHost struct{}

func (anyHost) OnlineCPUs() ([]int, error)           { return []int{0, 1}, nil }
func (anyHost) FreeHugepages(uint64) (uint64, error) { return 0, nil }
func (anyHost) OVMF(bool) (string, string, error)    { return "/c.fd", "/v.fd", nil }
func (anyHost) HasVhostNet() bool                    { return false }

// TestEmptyExIsStock: over the whole stock golden corpus, a command with an
// absent or empty ex through every Go layer but the vendor fixes gives the
// stock XML byte for byte. (The fixes change the stock XML where the
// vendor's is wrong: their own tests and goldens say where.)
func TestEmptyExIsStock(t *testing.T) {
	all, _ := filepath.Glob("../upstream/vmplugin/testdata/*.json")
	var files []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".config.json") {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no stock corpus")
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stockCmd := &vmplugin.StartVmCmd{}
		if err := json.Unmarshal(body, stockCmd); err != nil {
			t.Fatal(err)
		}
		if stockCmd.Validate() != nil {
			continue // a refused command has no XML to compare
		}
		cfg := vmplugin.Config{DomainType: "kvm", Arch: vmplugin.ArchX86_64}
		if b, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".config.json"); err == nil {
			if err := json.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
		}
		dom, err := vmplugin.Build(context.Background(), stockCmd, cfg, buildHost)
		if err != nil {
			continue // the builder refuses it (the stock goldens record the error)
		}
		want, err := vmplugin.MarshalDomain(dom)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range []string{"", `"ex":{},`, `"ex":null,`} {
			t.Run(filepath.Base(f)+"/"+ex, func(t *testing.T) {
				b := body
				if ex != "" {
					b = []byte("{" + ex + strings.TrimPrefix(strings.TrimSpace(string(body)), "{"))
				}
				target := start.Offline{Config: cfg, Host: buildHost, Layer: anyHost{}}
				res, err := start.Run(context.Background(), b, start.Layers{Order: layers.Order[len(layers.VendorFixes):]}, target, start.Options{FullDiff: true})
				if err != nil {
					t.Fatal(err)
				}
				if res.FinalXML != want {
					t.Errorf("ex XML differs from the stock XML")
				}
				if len(res.Applied) != 0 {
					t.Errorf("layers applied: %v", res.Applied)
				}
			})
		}
	}
}

func TestSetBootDevices(t *testing.T) {
	disk := func(dev, target string, boot uint) libvirtxml.DomainDisk {
		d := libvirtxml.DomainDisk{Device: dev, Target: &libvirtxml.DomainDiskTarget{Dev: target}}
		if boot > 0 {
			d.Boot = &libvirtxml.DomainDeviceBoot{Order: boot}
		}
		return d
	}
	orders := func(d *libvirtxml.Domain) string {
		var s []string
		for _, x := range d.Devices.Disks {
			o := "-"
			if x.Boot != nil {
				o = string(rune('0' + x.Boot.Order))
			}
			s = append(s, x.Target.Dev+"="+o)
		}
		for _, b := range d.OS.BootDevices {
			s = append(s, "os:"+b.Dev)
		}
		return strings.Join(s, " ")
	}
	for _, tt := range []struct {
		name    string
		disks   []libvirtxml.DomainDisk
		bootDev []string
		want    string
	}{
		{"boot menu root disk: cdrom then hd", []libvirtxml.DomainDisk{disk("disk", "vda", 1), disk("cdrom", "hda", 0), disk("cdrom", "hdb", 0)}, []string{"cdrom", "hd"}, "vda=3 hda=1 hdb=2"},
		{"boot menu root disk: hd only", []libvirtxml.DomainDisk{disk("disk", "vda", 1), disk("cdrom", "hda", 0)}, []string{"hd"}, "vda=1 hda=-"},
		{"no per-device order: os/boot as stock", []libvirtxml.DomainDisk{disk("disk", "vda", 0), disk("cdrom", "hda", 0)}, []string{"cdrom", "hd"}, "vda=- hda=- os:cdrom os:hd"},
		{"the disk with the order is root, not the first", []libvirtxml.DomainDisk{disk("disk", "vdb", 0), disk("disk", "vda", 1)}, []string{"hd"}, "vdb=- vda=1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &libvirtxml.Domain{OS: &libvirtxml.DomainOS{BootDevices: []libvirtxml.DomainBootDevice{{Dev: "hd"}}}, Devices: &libvirtxml.DomainDeviceList{Disks: tt.disks}}
			overlay.SetBootDevices(d, tt.bootDev)
			if got := orders(d); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
