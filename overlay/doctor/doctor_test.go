package doctor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tree writes files (path → content; a path ending in / is a directory)
// under a new root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var healthy = map[string]string{
	"/dev/kvm":                        "",
	"/dev/vhost-net":                  "",
	"/usr/bin/qemu-system-x86_64":     "#!/bin/true\n",
	"/usr/share/OVMF/OVMF_CODE_4M.fd": "",
	"/proc/mounts":                    "hugetlbfs /dev/hugepages hugetlbfs rw,relatime 0 0\n",
	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages": "64\n",
	"/sys/class/net/br-strata/bridge/":                         "",
	"/var/lib/libvirt/qemu/":                                   "",
}

func without(m map[string]string, drop ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, d := range drop {
		delete(out, d)
	}
	return out
}

func with(m map[string]string, k, v string) map[string]string {
	out := without(m)
	out[k] = v
	return out
}

func TestChecks(t *testing.T) {
	up := func(string, time.Duration) (string, error) { return "9.0.0", nil }
	down := func(string, time.Duration) (string, error) { return "", errors.New("Failed to connect socket") }
	free := func(string) error { return nil }
	busy := func(string) error { return errors.New("address already in use") }
	qemuImg := func(string) (string, error) { return "/usr/bin/qemu-img", nil }
	noQemuImg := func(string) (string, error) { return "", errors.New("not found") }
	tests := []struct {
		name      string
		files     map[string]string
		domain    string
		libvirt   func(string, time.Duration) (string, error)
		listen    func(string) error
		look      func(string) (string, error)
		worst     Level
		wantLines []string
	}{
		{"healthy host", healthy, "kvm", up, free, qemuImg, Pass, []string{
			"PASS  libvirt        qemu:///system reachable (libvirt 9.0.0)", "PASS  /dev/kvm", "PASS  ovmf           /usr/share/OVMF/OVMF_CODE_4M.fd",
			"PASS  hugepages      hugetlbfs at /dev/hugepages, 64 free 2 MiB pages", "PASS  bridge br-strata", "PASS  stock port     127.0.0.1:7070 free"}},
		{"libvirtd down", healthy, "kvm", down, free, qemuImg, Fail, []string{"FAIL  libvirt        qemu:///system unreachable: Failed to connect socket; fix: start libvirtd"}},
		{"no kvm, domain type kvm", without(healthy, "/dev/kvm"), "kvm", up, free, qemuImg, Fail, []string{"FAIL  /dev/kvm", "or set vm.domain_type: qemu"}},
		{"no kvm, domain type qemu", without(healthy, "/dev/kvm"), "qemu", up, free, qemuImg, Warn, []string{"WARN  /dev/kvm", "TCG"}},
		{"no qemu-img", healthy, "kvm", up, free, noQemuImg, Fail, []string{"FAIL  qemu-img       not in PATH; fix: apt-get install qemu-utils"}},
		{"no emulator", without(healthy, "/usr/bin/qemu-system-x86_64"), "kvm", up, free, qemuImg, Fail, []string{"FAIL  emulator"}},
		{"no ovmf", without(healthy, "/usr/share/OVMF/OVMF_CODE_4M.fd"), "kvm", up, free, qemuImg, Warn, []string{"WARN  ovmf", "apt-get install ovmf"}},
		{"hugetlbfs not mounted", with(healthy, "/proc/mounts", "proc /proc proc rw 0 0\n"), "kvm", up, free, qemuImg, Warn, []string{"WARN  hugepages      no hugetlbfs mounted"}},
		{"no free hugepage", with(healthy, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0\n"), "kvm", up, free, qemuImg, Warn, []string{"but no free 2 MiB page"}},
		{"no vhost-net", without(healthy, "/dev/vhost-net"), "kvm", up, free, qemuImg, Warn, []string{"WARN  vhost-net", "modprobe vhost_net"}},
		{"bridge missing", without(healthy, "/sys/class/net/br-strata/bridge/"), "kvm", up, free, qemuImg, Fail, []string{"FAIL  bridge br-strata", "ip link add br-strata type bridge"}},
		{"managed dir missing", without(healthy, "/var/lib/libvirt/qemu/"), "kvm", up, free, qemuImg, Fail, []string{"FAIL  managed dir    /var/lib/libvirt/qemu not writable"}},
		{"port in use", healthy, "kvm", up, busy, qemuImg, Fail, []string{"FAIL  stock port     127.0.0.1:7070 cannot be bound: address already in use"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := Env{Root: tree(t, tc.files), LookPath: tc.look, Listen: tc.listen, Libvirt: tc.libvirt}
			cfg := Config{LibvirtURI: "qemu:///system", Timeout: time.Second, DomainType: tc.domain,
				ManagedDirs: []string{"/var/lib/libvirt/qemu"}, Bridges: []string{"br-strata"},
				Ports: []Port{{"stock", "127.0.0.1:7070"}}}
			var out strings.Builder
			worst := Run(&out, cfg, env)
			if worst != tc.worst {
				t.Errorf("worst %s, want %s", worst, tc.worst)
			}
			for _, want := range tc.wantLines {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			if n := strings.Count(out.String(), "\n"); n != 10 {
				t.Errorf("%d lines, want one per check (10)", n)
			}
		})
	}
}

// TestLive runs every check on this machine against test:///default.
func TestLive(t *testing.T) {
	cfg := Config{LibvirtURI: "test:///default", Timeout: 30 * time.Second, DomainType: "qemu",
		ManagedDirs: []string{t.TempDir()}, Ports: []Port{{"stock", "127.0.0.1:0"}}}
	var out strings.Builder
	worst := Run(&out, cfg, System())
	t.Logf("doctor on this machine (worst %s):\n%s", worst, out.String())
	for _, want := range []string{"PASS  libvirt        test:///default reachable", "PASS  managed dir", "PASS  stock port"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q", want)
		}
	}
}
