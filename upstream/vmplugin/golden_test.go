package vmplugin

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Golden tests: testdata/<case>.json is a StartVmCmd, testdata/<case>.xml
// the exact XML the builder must produce for it with fakeBuildHost.
// An optional testdata/<case>.config.json sets the builder Config
// ({"domainType": "qemu", "arch": "aarch64"}); without it a case builds as
// kvm on x86_64. Run with -update to rewrite the .xml files after a
// deliberate change, then review the diff.
var updateGolden = flag.Bool("update", false, "rewrite testdata/*.xml from the builder's output")

// goldenConfig is the JSON form of Config for <case>.config.json.
type goldenConfig struct {
	DomainType string `json:"domainType"`
	Arch       string `json:"arch"`
}

type goldenCase struct {
	name string
	cmd  *StartVmCmd
	cfg  Config
}

func loadGoldenCases(t testing.TB) []goldenCase {
	t.Helper()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, f := range files {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		cmd := &StartVmCmd{}
		if err := decodeStrict(f, cmd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		gc := goldenConfig{DomainType: "kvm", Arch: ArchX86_64}
		if cf := strings.TrimSuffix(f, ".json") + ".config.json"; fileExists(cf) {
			if err := decodeStrict(cf, &gc); err != nil {
				t.Fatalf("%s: %v", cf, err)
			}
		}
		cases = append(cases, goldenCase{name: name, cmd: cmd, cfg: Config{DomainType: gc.DomainType, Arch: gc.Arch}})
	}
	if len(cases) < 16 {
		t.Fatalf("only %d golden cases in testdata, want at least 16", len(cases))
	}
	return cases
}

// decodeStrict refuses unknown fields, so a typo in a corpus file cannot
// silently test the zero value instead.
func decodeStrict(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func buildGolden(t testing.TB, gc goldenCase) string {
	t.Helper()
	d, err := Build(context.Background(), gc.cmd, gc.cfg, newFakeHost())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	x, err := MarshalDomain(d)
	if err != nil {
		t.Fatalf("MarshalDomain: %v", err)
	}
	return x + "\n"
}

func TestGolden(t *testing.T) {
	for _, gc := range loadGoldenCases(t) {
		t.Run(gc.name, func(t *testing.T) {
			got := buildGolden(t, gc)
			path := filepath.Join("testdata", gc.name+".xml")
			if *updateGolden {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the builder's output (run with -update to accept):\n%s", path, lineDiff(string(want), got))
			}
		})
	}
}

// TestGoldenSchema runs every golden XML through libvirt's own RelaxNG
// schema, as `virt-xml-validate <file> domain`.
func TestGoldenSchema(t *testing.T) {
	bin, err := exec.LookPath("virt-xml-validate")
	if err != nil {
		t.Skip("virt-xml-validate not installed (Debian: libvirt-clients); schema check skipped")
	}
	files, _ := filepath.Glob("testdata/*.xml")
	if len(files) == 0 {
		t.Fatal("no golden XML in testdata")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".xml"), func(t *testing.T) {
			out, err := exec.Command(bin, f, "domain").CombinedOutput()
			if err != nil {
				t.Errorf("virt-xml-validate %s: %v\n%s", f, err, out)
			}
		})
	}
}

// TestGoldenDefine defines every golden XML in libvirt's in-process test
// driver, which runs libvirt's domain parser and post-parse checks (the
// ones a real define runs before any hypervisor driver is involved).
// test:///default is shared by every connection in the process, so a
// domain another test left under the same uuid is put back afterwards.
func TestGoldenDefine(t *testing.T) {
	conn, err := libvirt.NewConnect("test:///default")
	if err != nil {
		t.Fatalf("open test:///default: %v", err)
	}
	defer conn.Close()
	files, _ := filepath.Glob("testdata/*.xml")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".xml"), func(t *testing.T) {
			x, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var previous string
			var golden libvirtxml.Domain
			if err := golden.Unmarshal(string(x)); err != nil {
				t.Fatal(err)
			}
			if old, err := conn.LookupDomainByUUIDString(golden.UUID); err == nil {
				previous, _ = old.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
				old.Free()
			}
			dom, err := conn.DomainDefineXML(string(x))
			if err != nil {
				t.Fatalf("DomainDefineXML: %v", err)
			}
			defer dom.Free()
			if previous != "" {
				if d, err := conn.DomainDefineXML(previous); err == nil {
					d.Free()
				}
				return
			}
			if err := dom.Undefine(); err != nil {
				t.Errorf("Undefine: %v", err)
			}
		})
	}
}

// TestGoldenCorpusCoversBranches keeps the corpus honest: each listed
// branch of from_StartVmCmd must show up in at least one golden XML.
func TestGoldenCorpusCoversBranches(t *testing.T) {
	var all strings.Builder
	files, _ := filepath.Glob("testdata/*.xml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	corpus := all.String()
	for branch, marker := range map[string]string{
		"numa vcpu":              `<vcpu placement="static" current=`,
		"numa cell":              `cpus="0-127"`,
		"maxMemory":              `<maxMemory unit="KiB" slots="16">68719476736</maxMemory>`,
		"host-model":             `mode="host-model"`,
		"host-passthrough":       `mode="host-passthrough"`,
		"aarch64 os":             `arch="aarch64"`,
		"pflash":                 `type="pflash"`,
		"usb keyboard":           `<input type="keyboard" bus="usb">`,
		"os boot cdrom":          `<boot dev="cdrom"></boot>`,
		"disk boot order":        `<boot order="1"></boot>`,
		"kvm hidden":             `<hidden state="on">`,
		"qxl":                    `<model type="qxl">`,
		"virtio video":           `<model type="virtio"></model>`,
		"ich6 sound":             `<sound model="ich6">`,
		"clean-traffic":          `filter="clean-traffic"`,
		"e1000":                  `<model type="e1000">`,
		"nic bandwidth":          `<bandwidth>`,
		"iotune":                 `<iotune>`,
		"virtio-scsi wwn":        `<wwn>`,
		"shareable":              `<shareable>`,
		"rbd":                    `protocol="rbd"`,
		"ceph auth":              `<secret type="ceph"`,
		"ide ceph":               `<target dev="hda" bus="ide">`,
		"block iscsi":            `device="lun"`,
		"network iscsi":          `protocol="iscsi"`,
		"iscsi chap":             `<secret type="iscsi"`,
		"nbd":                    `protocol="nbd"`,
		"native io":              `io="native"`,
		"local iso":              `.iso"></source>`,
		"localtime timers":       `<timer name="hypervclock" present="yes">`,
		"vnc passwd":             `passwd="s3cret"`,
		"spice streaming":        `<streaming mode="filter">`,
		"usb redirect":           `<redirdev type="spicevmc" bus="usb">`,
		"redirect controllers":   `<controller type="usb" index="4" model="nec-xhci">`,
		"nec-xhci":               `model="nec-xhci"`,
		"guest agent channel":    `<channel type="unix">`,
		"pci hostdev":            `<hostdev mode="subsystem" type="pci" managed="yes">`,
		"usb hostdev":            `<hostdev mode="subsystem" type="usb" managed="yes">`,
		"emulator from addons":   `/opt/fusionstack/qemu/bin/qemu-system-x86_64`,
		"domain type qemu":       `<domain type="qemu"`,
		"metadata":               `<zs:zstack xmlns:zs="http://zstack.org"><internalId>`,
		"last device letter":     `dev="vdz"`,
		"virtio-scsi controller": `<controller type="scsi" model="virtio-scsi">`,
	} {
		if !strings.Contains(corpus, marker) {
			t.Errorf("no golden case covers %s (%s)", branch, marker)
		}
	}
}

// lineDiff is a small line-by-line difference for failure messages.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := max(len(w), len(g))
	shown := 0
	for i := 0; i < n && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

// BenchmarkBuildAndMarshal builds and marshals the richest corpus command.
func BenchmarkBuildAndMarshal(b *testing.B) {
	var gc goldenCase
	for _, c := range loadGoldenCases(b) {
		if c.name == benchmarkCase {
			gc = c
		}
	}
	if gc.cmd == nil {
		b.Fatalf("benchmark case %s missing", benchmarkCase)
	}
	ctx := context.Background()
	host := newFakeHost()
	b.ReportAllocs()
	for b.Loop() {
		d, err := Build(ctx, gc.cmd, gc.cfg, host)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := MarshalDomain(d); err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkCase is the corpus command that takes every branch it can at once.
const benchmarkCase = "kitchen_sink"
