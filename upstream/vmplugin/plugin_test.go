package vmplugin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/virtconn"
)

// testDriverPlugin is a VmPlugin on libvirt's in-process test driver,
// whose state every connection of the process shares.
func testDriverPlugin(t *testing.T) *VmPlugin {
	t.Helper()
	conn := virtconn.New("test:///default", nil)
	t.Cleanup(conn.Close)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := New(PluginConfig{Timing: Timing{LookupRetries: 1}}, conn, quiet)
	return p
}

// runTestDomain defines and starts a domain named uuid on the test driver
// and removes it when the test ends.
func runTestDomain(t *testing.T, p *VmPlugin, uuid, devices string) {
	t.Helper()
	x := `<domain type="test"><name>` + uuid + `</name><memory>1048576</memory><os><type>hvm</type></os><devices>` +
		devices + `</devices></domain>`
	err := p.Conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.DomainDefineXML(x)
		if err != nil {
			return err
		}
		defer dom.Free()
		return dom.Create()
	})
	if err != nil {
		t.Fatalf("define and start %s: %v", uuid, err)
	}
	t.Cleanup(func() {
		_ = p.Conn.Do(func(c *libvirt.Connect) error {
			dom, err := c.LookupDomainByName(uuid)
			if err != nil {
				return err
			}
			defer dom.Free()
			_ = dom.Destroy()
			return dom.Undefine()
		})
	})
}

const resizeVMUUID = "9c2e4a6b8d0f41a3b5c7d9e1f3a5b7c9"

// resizeDisks: vda and sdb carry user aliases; hdd has none.
const resizeDisks = `
<disk type="file" device="disk"><source file="/ps/root.qcow2"/><target dev="vda" bus="virtio"/><alias name="ua-root"/></disk>
<disk type="file" device="disk"><source file="/ps/data.qcow2"/><target dev="sdb" bus="scsi"/><alias name="ua-data"/></disk>
<disk type="file" device="disk"><source file="/ps/ide.qcow2"/><target dev="hdd" bus="ide"/></disk>`

func TestStartRegistersResizeVolume(t *testing.T) {
	s := kvmagent.NewServer(kvmagent.ServerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := testDriverPlugin(t).Start(s); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Routes() {
		if r.Path == KVMResizeVolumePath {
			if !r.Async {
				t.Errorf("%s is sync, want async", KVMResizeVolumePath)
			}
			return
		}
	}
	t.Errorf("%s not registered", KVMResizeVolumePath)
}

func TestGetTargetDisk(t *testing.T) {
	p := testDriverPlugin(t)
	runTestDomain(t, p, resizeVMUUID, resizeDisks)
	vm, err := p.GetVmByUUID(context.Background(), resizeVMUUID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id        int
		name      string
		alias     string
		wantErr   string
		wantKvmEr bool
	}{
		{id: 0, name: "vda", alias: "ua-root"},
		{id: 1, name: "sdb", alias: "ua-data"},
		{id: 2, name: "hdd"},
		{id: -25, name: "vda", alias: "ua-root"}, // Python's negative index
		{id: 3, wantErr: "unable to find volume[device ID:3] on vm[uuid:" + resizeVMUUID + "]", wantKvmEr: true},
		{id: 25, wantErr: "deviceId: 25: string index out of range"},
	} {
		disk, name, err := vm.GetTargetDisk(tc.id)
		if tc.wantErr != "" {
			var kerr *kvmagent.KvmError
			if err == nil || err.Error() != tc.wantErr || errors.As(err, &kerr) != tc.wantKvmEr {
				t.Errorf("deviceId %d: err = %v (%T), want %q", tc.id, err, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("deviceId %d: %v", tc.id, err)
			continue
		}
		alias := ""
		if disk.Alias != nil {
			alias = disk.Alias.Name
		}
		if name != tc.name || disk.Target.Dev != tc.name || alias != tc.alias {
			t.Errorf("deviceId %d: got %s (target %s, alias %q), want %s alias %q", tc.id, name, disk.Target.Dev, alias, tc.name, tc.alias)
		}
	}
}

func TestBlockResizeCommand(t *testing.T) {
	if got := blockResizeCommand("virtio-disk0", 10737418240); got != "block_resize drive-virtio-disk0 10737418240B" {
		t.Errorf("got %q", got)
	}
}

func TestKvmResizeVolume(t *testing.T) {
	p := testDriverPlugin(t)
	runTestDomain(t, p, resizeVMUUID, resizeDisks)
	for _, tc := range []struct {
		name    string
		body    string
		wantErr string // prefix of the handler's error (replyerror's text)
	}{
		// The test driver has no QEMU monitor: the call reaches libvirt and
		// its refusal comes back in the seed's (argument-swapped) text.
		{"found disk reaches the monitor", `{"vmUuid":"` + resizeVMUUID + `","size":10737418240,"deviceId":1}`,
			"unable to resize volume[id:" + resizeVMUUID + "] of vm[uuid:1] because this function is not supported"},
		{"no such device", `{"vmUuid":"` + resizeVMUUID + `","size":1,"deviceId":4}`,
			"unable to find volume[device ID:4] on vm[uuid:" + resizeVMUUID + "]"},
		{"disk without alias", `{"vmUuid":"` + resizeVMUUID + `","size":1,"deviceId":2}`,
			"volume[device ID:2] of vm[uuid:" + resizeVMUUID + "] has no alias"},
		{"vm missing", `{"vmUuid":"00000000000000000000000000000bad","size":1,"deviceId":0}`,
			"unable to resize volume[device ID:0]: vm[uuid:00000000000000000000000000000bad] not found"},
		{"vmUuid missing", `{"size":1,"deviceId":0}`, "uuid: missing in command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rsp, err := p.KvmResizeVolume(context.Background(), &kvmagent.Request{Path: KVMResizeVolumePath, Body: []byte(tc.body)})
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("rsp %+v, err = %v, want an error starting %q", rsp, err, tc.wantErr)
			}
		})
	}
}

func TestVmSyncDoubleChecksQemuProcesses(t *testing.T) {
	p := testDriverPlugin(t)
	runTestDomain(t, p, resizeVMUUID, "")
	if err := p.Conn.Do(func(c *libvirt.Connect) error {
		dom, err := c.LookupDomainByName(resizeVMUUID)
		if err != nil {
			return err
		}
		defer dom.Free()
		return dom.Suspend()
	}); err != nil {
		t.Fatal(err)
	}
	const hidden = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	old := qemuGuestUUIDs
	t.Cleanup(func() { qemuGuestUUIDs = old })
	for _, tc := range []struct {
		name   string
		guests []string
		err    error
		want   map[string]string // states that must be in the reply
		absent string
	}{
		{"a guest libvirt misses is Running; a listed one keeps its state",
			[]string{resizeVMUUID, hidden}, nil, map[string]string{resizeVMUUID: VMStatePaused, hidden: VMStateRunning}, ""},
		{"no qemu processes", nil, nil, map[string]string{resizeVMUUID: VMStatePaused}, hidden},
		{"listing fails: libvirt's list alone", []string{hidden}, errors.New("no /proc"), map[string]string{resizeVMUUID: VMStatePaused}, hidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qemuGuestUUIDs = func() ([]string, error) {
				if tc.err != nil {
					return nil, tc.err
				}
				return tc.guests, nil
			}
			reply, err := p.VmSync(context.Background(), &kvmagent.Request{Path: KVMVMSyncPath, Body: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			states := reply.(*StatesResponse).States
			for uuid, st := range tc.want {
				if states[uuid] != st {
					t.Errorf("states[%s] = %q, want %q (all: %v)", uuid, states[uuid], st, states)
				}
			}
			if _, ok := states[tc.absent]; tc.absent != "" && ok {
				t.Errorf("states has %s: %v", tc.absent, states)
			}
		})
	}
}
