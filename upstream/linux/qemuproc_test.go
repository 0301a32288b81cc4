package linux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const vmUUID = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"

func fakeProc(t *testing.T, procs map[string]string) Root {
	t.Helper()
	proc := t.TempDir()
	for pid, cmdline := range procs {
		if err := os.MkdirAll(filepath.Join(proc, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		// Written NUL-separated, as the kernel exposes argv.
		if err := os.WriteFile(filepath.Join(proc, pid, "cmdline"), []byte(strings.ReplaceAll(cmdline, " ", "\x00")+"\x00"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Entries that are not processes must be ignored.
	for _, d := range []string{"self", "sys", "0"} {
		if err := os.MkdirAll(filepath.Join(proc, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return Root{Proc: proc, Sys: t.TempDir()}
}

func TestFindQemuProcessByUUID(t *testing.T) {
	tests := []struct {
		name    string
		procs   map[string]string
		wantPid int
		found   bool
	}{
		{"qemu-kvm with the uuid as its name", map[string]string{
			"1":    "/sbin/init",
			"4242": "/usr/libexec/qemu-kvm -name " + vmUUID + " -uuid 0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9",
		}, 4242, true},
		{"qemu-system in guest=", map[string]string{
			"77": "/usr/bin/qemu-system-x86_64 -name guest=" + vmUUID + ",debug-threads=on",
		}, 77, true},
		{"lowest pid wins", map[string]string{
			"900": "/usr/bin/qemu-system-x86_64 -name " + vmUUID,
			"300": "/usr/bin/qemu-system-x86_64 -name " + vmUUID,
		}, 300, true},
		{"not a qemu (grep, virsh, tail of the log)", map[string]string{
			"10": "grep -w " + vmUUID,
			"11": "virsh dominfo " + vmUUID,
			"12": "tail -f /var/log/libvirt/qemu/" + vmUUID + ".log",
		}, 0, false},
		{"qemu only in an argument, not in argv0", map[string]string{
			"13": "/usr/bin/python /opt/qemu/tool.py " + vmUUID,
		}, 0, false},
		{"uuid only as part of a longer word", map[string]string{
			"14": "/usr/bin/qemu-system-x86_64 -name " + vmUUID + "0",
			"15": "/usr/bin/qemu-system-x86_64 -name x" + vmUUID,
			"16": "/usr/bin/qemu-system-x86_64 -name " + vmUUID + "_old",
		}, 0, false},
		{"another vm", map[string]string{
			"17": "/usr/bin/qemu-system-x86_64 -name ffffffffffffffffffffffffffffffff",
		}, 0, false},
		{"kernel thread with an empty cmdline", map[string]string{"2": ""}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fakeProc(t, tc.procs)
			pid, found, err := r.FindQemuProcessByUUID(vmUUID)
			if err != nil || pid != tc.wantPid || found != tc.found {
				t.Fatalf("FindQemuProcessByUUID = %d, %v, %v; want %d, %v", pid, found, err, tc.wantPid, tc.found)
			}
			if got := r.IsQemuRunning(vmUUID); got != tc.found {
				t.Fatalf("IsQemuRunning = %v", got)
			}
		})
	}
}

func TestFindQemuProcessErrors(t *testing.T) {
	if _, _, err := (Root{Proc: t.TempDir()}).FindQemuProcessByUUID(""); err == nil {
		t.Error("empty uuid: no error")
	}
	missing := Root{Proc: filepath.Join(t.TempDir(), "none")}
	if _, _, err := missing.FindQemuProcessByUUID(vmUUID); err == nil {
		t.Error("unreadable /proc: no error")
	}
	if missing.IsQemuRunning(vmUUID) {
		t.Error("IsQemuRunning with an unreadable /proc = true")
	}
}

func TestContainsWord(t *testing.T) {
	for _, tc := range []struct {
		s, w string
		want bool
	}{
		{"abc", "abc", true},
		{"x abc y", "abc", true},
		{"x=abc,y", "abc", true},
		{"abcabc abc", "abc", true},
		{"abcd", "abc", false},
		{"_abc", "abc", false},
		{"ab", "abc", false},
		{"a-b-c", "b", true},
	} {
		if got := containsWord(tc.s, tc.w); got != tc.want {
			t.Errorf("containsWord(%q, %q) = %v", tc.s, tc.w, got)
		}
	}
}

func TestSystemFindQemuRuns(t *testing.T) {
	// On the real /proc: this test binary is not a qemu.
	if _, found, err := FindQemuProcessByUUID(vmUUID); err != nil || found {
		t.Fatalf("found = %v, err = %v", found, err)
	}
}

func TestQemuGuestUUIDs(t *testing.T) {
	const other = "ffffffffffffffffffffffffffffffff"
	for _, tc := range []struct {
		name  string
		procs map[string]string
		want  []string
	}{
		{"qemu-kvm guests in pid order", map[string]string{
			"1":    "/sbin/init",
			"9000": "/usr/libexec/qemu-kvm -name guest=" + other + ",debug-threads=on -S",
			"4242": "/usr/libexec/qemu-kvm -name guest=" + vmUUID + ",debug-threads=on -S -uuid 0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9",
		}, []string{vmUUID, other}},
		{"only qemu-kvm, as the seed's grep", map[string]string{
			"77": "/usr/bin/qemu-system-x86_64 -name guest=" + vmUUID + ",debug-threads=on",
		}, nil},
		{"qemu-kvm anywhere on the line", map[string]string{
			"78": "/usr/bin/python /opt/qemu-kvm/tool.py guest=" + vmUUID,
		}, []string{vmUUID}},
		{"no guest= or a name shorter than 32", map[string]string{
			"79": "/usr/libexec/qemu-kvm -name " + vmUUID,
			"80": "/usr/libexec/qemu-kvm -name guest=" + vmUUID[:31] + ",debug-threads=on",
		}, nil},
		{"a longer name is cut at 32, as grep -o does", map[string]string{
			"81": "/usr/libexec/qemu-kvm -name guest=" + vmUUID + "ab",
		}, []string{vmUUID}},
		{"an '=' before guest= gives awk's second field", map[string]string{
			"82": "/usr/libexec/qemu-kvm -machine accel=kvm -name guest=" + vmUUID,
		}, []string{"kvm -name guest"}},
		{"kernel thread with an empty cmdline", map[string]string{"2": ""}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fakeProc(t, tc.procs).QemuGuestUUIDs()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("QemuGuestUUIDs = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := (Root{Proc: filepath.Join(t.TempDir(), "none")}).QemuGuestUUIDs(); err == nil {
		t.Error("unreadable /proc: no error")
	}
}
