package linux

import (
	"errors"
	"os"
	"sync"
)

// QemuCandidates is the seed's search order for the emulator. It returns a
// fresh slice each time, so no caller can change what another one sees.
func QemuCandidates() []string {
	return []string{"/usr/libexec/qemu-kvm", "/bin/qemu-kvm", "/usr/bin/qemu-system-x86_64"}
}

// QemuFinder finds the emulator among Candidates and remembers the first
// one found (a failure is not remembered). Its zero value searches
// QemuCandidates. A wrapper wanting another list builds its own finder
// instead of changing the agent's.
type QemuFinder struct {
	Candidates []string // nil: QemuCandidates()

	mu   sync.Mutex
	path string
}

// Path returns the first candidate that exists.
func (f *QemuFinder) Path() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.path != "" {
		return f.path, nil
	}
	candidates := f.Candidates
	if candidates == nil {
		candidates = QemuCandidates()
	}
	p, err := findQemu(candidates)
	if err != nil {
		return "", err
	}
	f.path = p
	return p, nil
}

// systemQemu is the agent's own finder: unexported, so nothing outside this
// package can change which emulator the stock agent uses.
var systemQemu QemuFinder

// GetQemuPath is kvmagent.get_qemu_path: the first emulator of the seed's
// list that exists, remembered once found.
func GetQemuPath() (string, error) { return systemQemu.Path() }

func findQemu(candidates []string) (string, error) {
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("Could not find qemu-kvm in /bin/qemu-kvm or /usr/libexec/qemu-kvm or /usr/bin/qemu-system-x86_64")
}
