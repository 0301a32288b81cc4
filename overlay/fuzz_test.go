package overlay_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// FuzzStartVmExCmd feeds any bytes through /ex/vm/start's offline path:
// strict decoding, the stock build and every Go layer. Any input gives a
// domain that libvirtxml reads back or a clear error, never a panic.
//
//	GOMEMLIMIT=1GiB go test -run '^$' -fuzz FuzzStartVmExCmd -fuzztime 60s -fuzzminimizetime 5s -parallel 1 ./overlay/
func FuzzStartVmExCmd(f *testing.F) {
	for _, pattern := range []string{"layers/testdata/*.json", "../upstream/vmplugin/testdata/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if body, err := os.ReadFile(file); err == nil {
				f.Add(body)
			}
		}
	}
	f.Add([]byte(`{"vmInstanceUuid":"x","ex":{"pinning":{"vcpus":[{"vcpu":-1,"cpuset":"0-"}]}}}`))
	f.Add([]byte(`{"ex":{"nics":{"queues":2147483647},"disks":{"iothreads":-5}}}`))
	cfg := layer.Config{QemuArgsAllow: []string{"-global .*"}, NVRAMDir: "/var/lib/libvirt/qemu/nvram"}
	f.Fuzz(func(t *testing.T, body []byte) {
		target := start.Offline{Config: vmplugin.Config{DomainType: "kvm", Arch: vmplugin.ArchX86_64}, Host: buildHost, Layer: anyHost{}}
		res, err := start.Run(context.Background(), body, start.Layers{Order: layers.Order, Config: cfg}, target, start.Options{FullDiff: true})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without text")
			}
			return
		}
		var d libvirtxml.Domain
		if err := d.Unmarshal(res.FinalXML); err != nil {
			t.Fatalf("final XML does not read back: %v\n%s", err, res.FinalXML)
		}
	})
}
