package linux

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// FindQemuProcessByUUID is checkstate's fallback for a VM libvirt does not
// list: a process whose program name contains "qemu" and whose command line
// holds uuid as a whole word (grep -w). It reads /proc instead of running
// the seed's `ps x | grep` pipeline. The lowest matching pid is returned.
func (r Root) FindQemuProcessByUUID(uuid string) (pid int, found bool, err error) {
	if uuid == "" {
		return 0, false, errors.New("find qemu process: empty vm uuid")
	}
	entries, err := os.ReadDir(r.Proc)
	if err != nil {
		return 0, false, fmt.Errorf("find qemu process of vm %s: %w", uuid, err)
	}
	var pids []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 0 {
			pids = append(pids, n)
		}
	}
	sort.Ints(pids)
	for _, p := range pids {
		b, err := os.ReadFile(r.procPath(strconv.Itoa(p), "cmdline"))
		if err != nil {
			continue // exited meanwhile or unreadable: one process must not hide the rest
		}
		if isQemuCmdline(b, uuid) {
			return p, true, nil
		}
	}
	return 0, false, nil
}

// isQemuCmdline matches one NUL-separated /proc/<pid>/cmdline.
func isQemuCmdline(cmdline []byte, uuid string) bool {
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "qemu") {
		return false
	}
	return containsWord(strings.Join(args, " "), uuid)
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// containsWord is grep -w: w occurs with no word character on either side.
func containsWord(s, w string) bool {
	for from := 0; from <= len(s)-len(w); {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(w)
		if (start == 0 || !isWordByte(s[start-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		from = start + 1
	}
	return false
}

// IsQemuRunning reports whether a qemu process of VM uuid exists.
func (r Root) IsQemuRunning(uuid string) bool {
	_, found, err := r.FindQemuProcessByUUID(uuid)
	return err == nil && found
}

// FindQemuProcessByUUID looks in this machine's /proc.
func FindQemuProcessByUUID(uuid string) (pid int, found bool, err error) {
	return System().FindQemuProcessByUUID(uuid)
}

// IsQemuRunning looks in this machine's /proc.
func IsQemuRunning(uuid string) bool { return System().IsQemuRunning(uuid) }

// qemuGuestPattern is vmsync's `grep -E -o 'qemu-kvm.*guest=[[:alnum:]]{32}'`;
// POSIX leftmost-longest, as grep matches.
var qemuGuestPattern = regexp.MustCompilePOSIX(`qemu-kvm.*guest=[[:alnum:]]{32}`)

// QemuGuestUUIDs is vmsync's double check against the qemu processes: the
// guest names on qemu-kvm command lines, one per match. It reads
// /proc/<pid>/cmdline (arguments joined by spaces, as ps shows them) instead
// of the seed's `ps x | grep | awk` pipeline, and keeps the pipeline's
// reading: "qemu-kvm" anywhere on the line, and the name is what follows the
// match's first '=' up to the next one (awk -F= '{print $2}').
func (r Root) QemuGuestUUIDs() ([]string, error) {
	entries, err := os.ReadDir(r.Proc)
	if err != nil {
		return nil, fmt.Errorf("list qemu guests: %w", err)
	}
	var pids []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 0 {
			pids = append(pids, n)
		}
	}
	sort.Ints(pids)
	var guests []string
	for _, p := range pids {
		b, err := os.ReadFile(r.procPath(strconv.Itoa(p), "cmdline"))
		if err != nil {
			continue // exited meanwhile or unreadable: one process must not hide the rest
		}
		line := strings.Join(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), " ")
		for _, m := range qemuGuestPattern.FindAllString(line, -1) {
			if f := strings.Split(m, "="); len(f) > 1 {
				guests = append(guests, f[1])
			}
		}
	}
	return guests, nil
}

// QemuGuestUUIDs looks in this machine's /proc.
func QemuGuestUUIDs() ([]string, error) { return System().QemuGuestUUIDs() }
