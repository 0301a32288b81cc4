package linux

import (
	"fmt"
	"os"
	"path/filepath"
)

// Root locates the kernel's pseudo filesystems. The agent uses System();
// tests build a Root over a fixture tree.
type Root struct {
	Proc string // usually /proc
	Sys  string // usually /sys
	Dev  string // usually /dev; "" leaves device checks out (fixtures)
}

// System is the running kernel's /proc, /sys and /dev. It is a function, not
// a variable, so nothing can repoint the stock agent at another tree.
func System() Root { return Root{Proc: "/proc", Sys: "/sys", Dev: "/dev"} }

func (r Root) procPath(elem ...string) string {
	return filepath.Join(append([]string{r.Proc}, elem...)...)
}

func (r Root) devPath(elem ...string) string {
	return filepath.Join(append([]string{r.Dev}, elem...)...)
}

func (r Root) sysPath(elem ...string) string {
	return filepath.Join(append([]string{r.Sys}, elem...)...)
}

func readText(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return string(b), nil
}
