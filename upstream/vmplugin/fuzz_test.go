package vmplugin

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/kvmagent"
)

// FuzzStartVmCmd feeds /vm/start bodies through what the agent does before
// libvirt sees them: DecodeCommand, ValidateFor, Build (with the fake host:
// nothing touches the machine) and MarshalDomain. Any input must give a
// domain or a clear error, never a panic or a runaway allocation; a domain
// must be well-formed XML that libvirtxml reads back. Schema validation
// (virt-xml-validate) stays in TestGoldenSchema over the golden corpus: a
// process per fuzz input would be all the fuzzer measures.
//
// Seeded from every testdata/*.json command. Run it with a memory limit so
// a runaway allocation fails fast instead of swapping the machine:
//
//	GOMEMLIMIT=1GiB go test -run x -fuzz FuzzStartVmCmd -fuzztime 60s -fuzzminimizetime 10s -parallel 1 ./upstream/vmplugin/
//
// GOMEMLIMIT makes the collector work hard near the limit, so a leak shows
// as a stall; -fuzzminimizetime keeps the minutes the fuzzer spends
// shrinking each new input (the default is 60 s) for fuzzing. Without
// -fuzz, `go test` runs the seeds and anything in testdata/fuzz/FuzzStartVmCmd.
func FuzzStartVmCmd(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, ".config.json") {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Commands at the bounds, so mutations start next to them.
	for _, c := range []*StartVmCmd{
		cmdWith(func(c *StartVmCmd) { c.VideoType, c.VDIMonitorNumber = "qxl", maxQXLMonitors }),
		cmdWith(func(c *StartVmCmd) { c.UseNuma, c.CPUNum, c.Memory = true, numaMaxVCPUs, maxMemoryBytes }),
		cmdWith(func(c *StartVmCmd) { c.CPUNum, c.SocketNum, c.CPUOnSocket, c.CPUSpeed = 255, 5, 51, 1028 }),
		cmdWith(func(c *StartVmCmd) {
			for i := 1; i < len(DeviceLetters); i++ {
				c.DataVolumes = append(c.DataVolumes, dataFile(fmt.Sprintf("/ps/d%d.qcow2", i), i, func(v *VolumeTO) { v.UseVirtioSCSI = i%2 == 0 }))
			}
			c.BootIso = []IsoTO{{Path: "/i/a.iso", DeviceID: 2}, {Path: "ceph://p/i", DeviceID: 0}}
			c.Addons.VolumeQos = map[string]VolumeQos{"r0": {TotalBandwidth: maxIOTune, TotalIops: maxIOTune}}
			c.Addons.NicQos = map[string]NicQos{"n0": {OutboundBandwidth: maxBandwidthBits, InboundBandwidth: minBandwidthBits}}
		}),
	} {
		b, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	ctx := context.Background()
	configs := []Config{cfgX86, {DomainType: "qemu", Arch: ArchAarch64}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, cfg := range configs {
			cmd := &StartVmCmd{}
			if err := kvmagent.DecodeCommand(&kvmagent.Request{Path: KVMStartVMPath, Body: body}, cmd); err != nil {
				requireClear(t, "DecodeCommand", err)
				return
			}
			host := newFakeHost()
			if err := cmd.ValidateFor(ctx, cfg, host); err != nil {
				requireClear(t, "ValidateFor", err)
				continue
			}
			dom, err := Build(ctx, cmd, cfg, host)
			if err != nil {
				requireClear(t, "Build", err)
				continue
			}
			x, err := MarshalDomain(dom)
			if err != nil {
				t.Fatalf("MarshalDomain of a built domain: %v", err)
			}
			if err := wellFormed(x); err != nil {
				t.Fatalf("domain XML is not well-formed: %v\n%s", err, x)
			}
			var back libvirtxml.Domain
			if err := back.Unmarshal(x); err != nil {
				t.Fatalf("libvirtxml cannot read the domain back: %v\n%s", err, x)
			}
		}
	})
}

func requireClear(t *testing.T, stage string, err error) {
	t.Helper()
	if strings.TrimSpace(err.Error()) == "" {
		t.Fatalf("%s failed with an empty error", stage)
	}
}

// wellFormed reads every token of x, as any XML parser would.
func wellFormed(x string) error {
	d := xml.NewDecoder(strings.NewReader(x))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// TestFuzzSeedsBuild keeps the fuzz seeds meaningful: every golden command
// gets through the whole fuzz pipeline to a domain, so the fuzzer starts
// from inputs that reach MarshalDomain rather than from early refusals.
func TestFuzzSeedsBuild(t *testing.T) {
	for _, gc := range loadGoldenCases(t) {
		b, err := os.ReadFile(filepath.Join("testdata", gc.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := &StartVmCmd{}
		if err := kvmagent.DecodeCommand(&kvmagent.Request{Body: b}, cmd); err != nil {
			t.Fatalf("%s: %v", gc.name, err)
		}
		if err := cmd.ValidateFor(context.Background(), gc.cfg, newFakeHost()); err != nil {
			t.Errorf("%s: %v", gc.name, err)
			continue
		}
		if _, err := Build(context.Background(), cmd, gc.cfg, newFakeHost()); err != nil {
			t.Errorf("%s: %v", gc.name, err)
		}
	}
}
