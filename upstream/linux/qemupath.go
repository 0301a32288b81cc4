package linux

import (
	"errors"
	"os"
	"sync"
)

// QemuCandidates is the seed's search order for the emulator.
var QemuCandidates = []string{"/usr/libexec/qemu-kvm", "/bin/qemu-kvm", "/usr/bin/qemu-system-x86_64"}

var qemuPath struct {
	sync.Mutex
	path string
}

// GetQemuPath is kvmagent.get_qemu_path: the first emulator of the seed's
// list that exists, remembered once found.
func GetQemuPath() (string, error) {
	qemuPath.Lock()
	defer qemuPath.Unlock()
	if qemuPath.path != "" {
		return qemuPath.path, nil
	}
	p, err := findQemu(QemuCandidates)
	if err != nil {
		return "", err
	}
	qemuPath.path = p
	return p, nil
}

func findQemu(candidates []string) (string, error) {
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("Could not find qemu-kvm in /bin/qemu-kvm or /usr/libexec/qemu-kvm or /usr/bin/qemu-system-x86_64")
}
