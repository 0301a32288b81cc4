package overlay

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/kvmagent"
)

// StartVm overrides the stock /vm/start on strata-agent's :7070 so the
// vendor fixes (VmPluginEx.Fixes, layers.VendorFixes) run between the
// stock build and libvirt's define: the stock start has no hook there, and
// a management node starts VMs on :7070. Everything else is the stock
// start's: the same command and decoding (an ex object is ignored, as the
// stock agent ignores unknown keys), the stock validation before any lock,
// the VM's lock, the stock start lock around define and create, the same
// clearing, undo and replies. Only the fixes run,
// never the operator's layers: :7070 is the stock contract.
func (p *VmPluginEx) StartVm(ctx context.Context, req *kvmagent.Request) (any, error) {
	cmd := &excmd.StartVmExCmd{}
	if err := kvmagent.DecodeCommand(req, &cmd.StartVmCmd); err != nil {
		return nil, err
	}
	kvmagent.AddLogAttrs(ctx, "vm", cmd.VMInstanceUUID)
	// Validation takes no lock: a refused command waits for nothing.
	if err := p.ValidateStock(ctx, &cmd.StartVmCmd); err != nil {
		return nil, err
	}
	res, err := start.RunDecoded(ctx, cmd, start.Layers{Order: p.Fixes}, stockStart{p}, start.Options{})
	if err == nil {
		if len(res.Applied) > 0 {
			p.Log.InfoContext(ctx, "vendor fixes applied", "vm", cmd.VMInstanceUUID, "layers", strings.Join(res.Applied, ","), "changes", len(res.Changes))
		}
		p.Log.DebugContext(ctx, "successfully started vm", "vm", cmd.VMInstanceUUID, "name", cmd.VMName)
	}
	return startReply(cmd.VMInstanceUUID, err)
}

// stockStart is the start.Target of :7070's start: the overlay's live
// target, with define and create under the stock start lock, as the stock
// start holds it (the ex start holds only the VM's lock).
type stockStart struct{ *VmPluginEx }

// Begin implements start.Target.
func (s stockStart) Begin(ctx context.Context, cmd *excmd.StartVmExCmd) (start.Attempt, error) {
	at, err := s.VmPluginEx.Begin(ctx, cmd)
	if ls, ok := at.(*liveStart); ok {
		ls.stockLock = true
	}
	return at, err
}

// qemuLogDir is where libvirt writes each domain's qemu log.
var qemuLogDir = "/var/log/libvirt/qemu"

var (
	vfioIntxBusy = regexp.MustCompile(`vfio: Error: Failed to setup INTx fd: Device or resource busy`)
	vfioPCIAddr  = regexp.MustCompile(`([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-9a-fA-F]`)
)

// vfioIrqConflict is the stock start's vfio INTx hint (unexported
// upstream): it reads the last lines of the VM's qemu log and returns ""
// when there is nothing to add.
//
//strata:copy upstream/vmplugin.handleVfioIrqConflict h1:kvOc3Hx11od8qpmdYdTrOplj/j60Cv4IFyBOhBZ6EwA=
func vfioIrqConflict(uuid string) string {
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
