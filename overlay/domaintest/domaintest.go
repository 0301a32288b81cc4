// Package domaintest holds what the overlay's golden tests share: the
// golden-file comparison (with -update), and the checks libvirt makes of a
// domain XML, its RelaxNG schema (virt-xml-validate) and a define on its
// in-process test driver.
package domaintest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/vmplugin"
)

// Schema runs `virt-xml-validate FILE domain` on each file, one subtest
// each; it skips, saying why, where the validator is not installed.
func Schema(t *testing.T, files []string) {
	t.Helper()
	bin, err := exec.LookPath("virt-xml-validate")
	if err != nil {
		t.Skip("virt-xml-validate not installed (Debian: libvirt-clients); schema check skipped")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if out, err := exec.Command(bin, f, "domain").CombinedOutput(); err != nil {
				t.Errorf("virt-xml-validate %s: %v\n%s", f, err, out)
			}
		})
	}
}

// Define defines each file on test:///default (libvirt's parser and its
// post-parse checks), then undefines it; a domain left by an earlier run
// under the same uuid is removed first.
func Define(t *testing.T, files []string) {
	t.Helper()
	conn, err := libvirt.NewConnect("test:///default")
	if err != nil {
		t.Fatalf("open test:///default: %v", err)
	}
	defer conn.Close()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			x, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var d libvirtxml.Domain
			if err := d.Unmarshal(string(x)); err != nil {
				t.Fatal(err)
			}
			if old, err := conn.LookupDomainByUUIDString(d.UUID); err == nil {
				_ = old.Undefine()
				_ = old.Free()
			}
			dom, err := conn.DomainDefineXML(string(x))
			if err != nil {
				t.Fatalf("DomainDefineXML: %v", err)
			}
			defer dom.Free()
			if err := dom.Undefine(); err != nil {
				t.Errorf("Undefine: %v", err)
			}
		})
	}
}

// Golden compares got with the file at path; with update it rewrites the
// file first (the tests' -update flag).
func Golden(t *testing.T, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// BuildHost is the stock builder's host for tests: image formats from the
// extension and a fixed emulator, so goldens do not depend on what is
// installed here.
type BuildHost struct {
	vmplugin.OfflineHost
	Emulator string
}

// ImageFormat implements vmplugin.Host: qcow2 by extension, else raw.
func (BuildHost) ImageFormat(_ context.Context, path string) (string, error) {
	if strings.HasSuffix(path, ".qcow2") {
		return "qcow2", nil
	}
	return "raw", nil
}

// QemuPath implements vmplugin.Host.
func (h BuildHost) QemuPath() (string, error) { return h.Emulator, nil }
