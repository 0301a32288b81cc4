package vmplugin

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"libvirt.org/go/libvirt"
)

func TestStateFromLibvirt(t *testing.T) {
	for _, tc := range []struct {
		in   libvirt.DomainState
		want string
	}{
		{libvirt.DOMAIN_NOSTATE, "NoState"},
		{libvirt.DOMAIN_RUNNING, "Running"},
		{libvirt.DOMAIN_BLOCKED, "Running"},
		{libvirt.DOMAIN_PAUSED, "Paused"},
		{libvirt.DOMAIN_SHUTDOWN, "Shutdown"},
		{libvirt.DOMAIN_SHUTOFF, "Shutdown"},
		{libvirt.DOMAIN_CRASHED, "Crashed"},
		{libvirt.DOMAIN_PMSUSPENDED, "Suspended"},
	} {
		if got := StateFromLibvirt(tc.in); got != tc.want {
			t.Errorf("StateFromLibvirt(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTCPPortOpen(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if !tcpPortOpen(port) {
		t.Errorf("port %d listens but tcpPortOpen says no", port)
	}
	l.Close()
	if tcpPortOpen(port) {
		t.Errorf("port %d closed but tcpPortOpen says open", port)
	}
}

func TestParseByPath(t *testing.T) {
	for _, tc := range []struct {
		dev, portal, target string
		ok                  bool
	}{
		{"/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.2018-03.org.example:t1-lun-1", "10.0.0.5:3260", "iqn.2018-03.org.example:t1", true},
		{"/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.a-lun-x-lun-1", "10.0.0.5:3260", "iqn.a-lun-x", true},
		{"/dev/sdb", "", "", false},
		{"/dev/disk/by-path/ip-10.0.0.5:3260-lun-1", "", "", false},
	} {
		portal, target, ok := parseByPath(tc.dev)
		if portal != tc.portal || target != tc.target || ok != tc.ok {
			t.Errorf("parseByPath(%q) = %q, %q, %v", tc.dev, portal, target, ok)
		}
	}
}

func TestHandleVfioIrqConflict(t *testing.T) {
	dir := t.TempDir()
	old := qemuLogDir
	qemuLogDir = dir
	t.Cleanup(func() { qemuLogDir = old })
	const uuid = "5d1f7c3a9b2e4f60a8c4d2e1b7f9a013"
	for _, tc := range []struct {
		name, log, want string
	}{
		{"no log", "", ""},
		{"unrelated failure", "line\nqemu: could not open disk\n", ""},
		{"intx busy", "a\nb\n2018-03-09T01:02:03 qemu-kvm: -device vfio-pci,host=0000:03:00.0: vfio: Error: Failed to setup INTx fd: Device or resource busy\n",
			"there are irq conflict, but zstack can not get irq conflict device, you need fix it manually (pci device 0000:03:00.0)"},
		{"intx busy too far up", "vfio: Error: Failed to setup INTx fd: Device or resource busy 03:00.0\n1\n2\n3\n4\n5\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, uuid+".log")
			os.Remove(path)
			if tc.log != "" {
				if err := os.WriteFile(path, []byte(tc.log), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := handleVfioIrqConflict(uuid); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
