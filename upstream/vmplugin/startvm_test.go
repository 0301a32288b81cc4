package vmplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestPlugin is a VmPlugin on libvirt's in-process test driver that
// builds with host. test:///default is shared by the whole process, so each
// test uses its own VM uuids and undefines them at the end.
func newTestPlugin(t *testing.T, host Host, uuids ...string) *VmPlugin {
	t.Helper()
	conn := virtconn.New("test:///default", quietLog())
	p := New(PluginConfig{Build: cfgX86}, conn, quietLog())
	p.Host = host
	t.Cleanup(func() {
		for _, u := range uuids {
			undefineTestDomain(t, conn, u)
		}
		conn.Close()
	})
	return p
}

func undefineTestDomain(t *testing.T, conn *virtconn.Conn, uuid string) {
	t.Helper()
	_ = conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.LookupDomainByName(uuid)
		if err != nil {
			return nil
		}
		defer dom.Free()
		_ = dom.Destroy()
		return dom.Undefine()
	})
}

func domainDefined(t *testing.T, p *VmPlugin, uuid string) bool {
	t.Helper()
	vm, err := p.GetVmByUUIDNoRetry(context.Background(), uuid, false)
	if err != nil {
		t.Fatal(err)
	}
	return vm != nil
}

// TestStartRefusesBeforeAnyHostCall: an invalid command (here duplicate
// deviceIds) is refused before qemu-img, libvirt or any lock: the host
// sees no call and no domain is defined.
func TestStartRefusesBeforeAnyHostCall(t *testing.T) {
	const uuid = "dd000000000000000000000000000001"
	var probes atomic.Int32
	host := newFakeHost()
	host.imageFormat = func(context.Context, string) (string, error) { probes.Add(1); return "qcow2", nil }
	p := newTestPlugin(t, host, uuid)
	for _, tc := range []struct {
		name string
		mut  func(*StartVmCmd)
		want string
	}{
		{"data volumes", func(c *StartVmCmd) {
			c.DataVolumes = []VolumeTO{dataFile("/ps/a.qcow2", 1, nil), dataFile("/ps/b.qcow2", 1, nil)}
		}, "dataVolumes[1].deviceId: 1 is also the deviceId of dataVolumes[0]"},
		{"data volume and root", func(c *StartVmCmd) { c.DataVolumes = []VolumeTO{dataFile("/ps/a.qcow2", 0, nil)} },
			"dataVolumes[0].deviceId: 0 is also the deviceId of rootVolume"},
		{"isos", func(c *StartVmCmd) { c.BootIso = []IsoTO{{Path: "/i/a.iso"}, {Path: "/i/b.iso"}} },
			"bootIso[1].deviceId: 0 is also the deviceId of bootIso[0]"},
		{"nics", func(c *StartVmCmd) { c.Nics = append(c.Nics, c.Nics[0]) }, "nics[1].deviceId: 0 is also the deviceId of nics[0]"},
		{"cpuNum", func(c *StartVmCmd) { c.CPUNum = 2147483647 }, "cpuNum: 2147483647 exceeds the maximum of 255 vCPUs for domain type kvm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = uuid; tc.mut(c) })
			// Holding the start lock proves validation does not wait for it.
			p.startLock.Lock()
			err := p.DoStartVm(context.Background(), cmd)
			p.startLock.Unlock()
			if !hasError(err, tc.want) {
				t.Fatalf("DoStartVm = %v\nwant an error %q", err, tc.want)
			}
			if n := probes.Load(); n != 0 {
				t.Errorf("qemu-img ran %d times before the command was refused", n)
			}
			if domainDefined(t, p, uuid) {
				t.Error("a domain was defined")
			}
		})
	}
}

// TestStartLockSparesImageProbing: a start whose qemu-img hangs holds
// neither the process-wide start lock nor anything another VM's start
// needs (the seed's lock covered the build, so one hang stopped all starts).
func TestStartLockSparesImageProbing(t *testing.T) {
	const hung, other = "dd000000000000000000000000000002", "dd000000000000000000000000000003"
	entered, release := make(chan struct{}), make(chan struct{})
	host := newFakeHost()
	host.imageFormat = func(ctx context.Context, path string) (string, error) {
		if strings.Contains(path, "hang") {
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		return "qcow2", nil
	}
	p := newTestPlugin(t, host, hung, other)

	hungDone := make(chan error, 1)
	go func() {
		cmd := cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = hung; c.RootVolume.InstallPath = "/ps/hang.qcow2" })
		hungDone <- p.DoStartVm(context.Background(), cmd)
	}()
	<-entered

	otherDone := make(chan error, 1)
	go func() {
		otherDone <- p.DoStartVm(context.Background(), cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = other }))
	}()
	// A failure detector, not a speed target: on the seed's locking the
	// second start waits for the first one's qemu-img forever.
	select {
	case err := <-otherDone:
		if err != nil {
			t.Errorf("start of %s while %s probes its image: %v", other, hung, err)
		}
	case <-time.After(60 * time.Second):
		t.Error("a start waited for another VM's hanging qemu-img")
	}
	close(release)
	if err := <-hungDone; err != nil {
		t.Errorf("start of %s after its qemu-img returned: %v", hung, err)
	}
}

// TestConcurrentStartsOfOneVm: of 20 concurrent /vm/start calls for one
// VM exactly one starts it; the others answer "is already running".
func TestConcurrentStartsOfOneVm(t *testing.T) {
	const uuid = "dd000000000000000000000000000004"
	p := newTestPlugin(t, newFakeHost(), uuid)
	body, err := json.Marshal(cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = uuid }))
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var (
		wg        sync.WaitGroup
		ok, again atomic.Int32
		other     = make(chan string, n)
	)
	for i := range n {
		wg.Go(func() {
			req := &kvmagent.Request{Path: KVMStartVMPath, TaskUUID: fmt.Sprintf("t%d", i), Body: body}
			rsp, err := p.StartVm(context.Background(), req)
			switch r, _ := rsp.(*StartVmResponse); {
			case err != nil:
				other <- err.Error()
			case r.Success:
				ok.Add(1)
			case strings.Contains(r.Error, "vm[uuid:"+uuid+", name:web-01] is already running"):
				again.Add(1)
			default:
				other <- r.Error
			}
		})
	}
	wg.Wait()
	close(other)
	for e := range other {
		t.Errorf("unexpected answer: %s", e)
	}
	if ok.Load() != 1 || again.Load() != n-1 {
		t.Errorf("%d successes and %d 'is already running', want 1 and %d", ok.Load(), again.Load(), n-1)
	}
}

func TestVMLockEntriesAreDropped(t *testing.T) {
	p := &VmPlugin{}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			unlock := p.LockVM(fmt.Sprintf("vm-%d", i%5))
			unlock()
			unlock() // a second call is harmless
		}(i)
	}
	wg.Wait()
	if n := p.lockedVMs(); n != 0 {
		t.Fatalf("%d lock entries left after every holder unlocked, want 0", n)
	}
	unlock := p.LockVM("held")
	if n := p.lockedVMs(); n != 1 {
		t.Fatalf("%d lock entries while one is held, want 1", n)
	}
	unlock()
}

// TestFromValidatedStartVmCmdValidatesNot: the build of a validated
// command asks no vCPU bound (no capabilities call) and refuses nothing
// the validation would have; FromStartVmCmd still validates.
func TestFromValidatedStartVmCmdValidatesNot(t *testing.T) {
	host := &fakeBuildHost{err: map[string]error{"MaxVCPUs": errors.New("MaxVCPUs called")}}
	p := newTestPlugin(t, host)
	cmd := baseCmd()
	vm, err := p.FromValidatedStartVmCmd(context.Background(), cmd)
	if err != nil || vm == nil || vm.DomainXML == "" {
		t.Fatalf("FromValidatedStartVmCmd: %v", err)
	}
	bad := cmdWith(func(c *StartVmCmd) { c.CPUNum = -1 })
	if _, err := p.FromStartVmCmd(context.Background(), bad); err == nil {
		t.Error("FromStartVmCmd took a negative cpuNum")
	}
}
