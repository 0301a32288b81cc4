package vmplugin

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/strataagent/strata/upstream/linux"
)

// qemuLogDir is where libvirt writes each domain's qemu log.
var qemuLogDir = "/var/log/libvirt/qemu"

// qemuRunning is checkstate's fallback for a VM libvirt does not list.
func qemuRunning(uuid string) bool { return linux.IsQemuRunning(uuid) }

var vfioIntxBusy = regexp.MustCompile(`vfio: Error: Failed to setup INTx fd: Device or resource busy`)
var vfioPCIAddr = regexp.MustCompile(`([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-9a-fA-F]`)

// handleVfioIrqConflict looks at the last lines of the VM's qemu log for
// vfio's INTx failure, the one start failure the seed explains. It returns ""
// when there is nothing to add. The seed also asks lspci which devices share
// the IRQ; this port names the device and says the conflict needs a manual
// fix, since it never runs pipelines on the host.
func handleVfioIrqConflict(uuid string) string {
	data, err := os.ReadFile(filepath.Join(qemuLogDir, uuid+".log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	for _, l := range lines {
		if !vfioIntxBusy.MatchString(l) {
			continue
		}
		addr := vfioPCIAddr.FindString(l)
		if addr == "" {
			return "can not get irq"
		}
		return "there are irq conflict, but zstack can not get irq conflict device, you need fix it manually (pci device " + addr + ")"
	}
	return ""
}
