package declarative

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/overlay/excmd"
)

// TestSchema: domains the example config produces pass libvirt's schema.
func TestSchema(t *testing.T) {
	validator, err := exec.LookPath("virt-xml-validate")
	if err != nil {
		t.Skip("virt-xml-validate not installed (libvirt-clients): schema check skipped")
	}
	entries, err := LoadFile("testdata/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	extra := mustEntry(t, entryWith(
		Op{Path: "os/loader", Set: map[string]string{"readonly": "yes", "type": "pflash", "#text": "/usr/share/OVMF/OVMF_CODE_4M.fd"}},
		Op{Path: "devices", Merge: `<devices><rng model="virtio"><backend model="random">/dev/urandom</backend></rng></devices>`},
		Op{Path: "devices/disk/driver", All: true, Match: []string{"device=disk"}, Set: map[string]string{"io": "native", "discard": "unmap"}},
		Op{Path: "/domain", Merge: `<domain xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"><qemu:commandline><qemu:arg value="-no-hpet"/></qemu:commandline></domain>`},
	))
	for _, e := range append(entries, extra) {
		t.Run(e.Name, func(t *testing.T) {
			c := stockCmd(t, "mn_example_a")
			c.Blocks = map[string]any{excmd.TagsKey: &map[string]string{"role": "frontend"}}
			x, err := run(t, e, c)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), e.Name+".xml")
			if err := os.WriteFile(f, []byte(x), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(validator, f, "domain").CombinedOutput()
			if err != nil {
				t.Fatalf("virt-xml-validate: %v\n%s\n%s", err, out, x)
			}
		})
	}
}

// TestValidators: both ways of running libvirt's schema agree on the probe
// domain and on it with io='nativ', and the probe domain itself is valid.
func TestValidators(t *testing.T) {
	if probeDomain() == nil {
		t.Fatal("probe_domain.xml does not parse")
	}
	bad := strings.Replace(probeDomainXML, `cache="none"></driver>`, `cache="none" io="nativ"></driver>`, 1)
	if bad == probeDomainXML {
		t.Fatal("probe domain has no disk driver to spoil")
	}
	var vs []schemaValidator
	if bin, err := exec.LookPath("virt-xml-validate"); err == nil {
		vs = append(vs, virtXMLValidator{bin: bin})
	}
	if v, ok := findValidator().(xmllintValidator); ok {
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		t.Skip("neither virt-xml-validate nor xmllint with libvirt's schema is installed")
	}
	for _, v := range vs {
		res, err := v.validate([]string{probeDomainXML, bad})
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		var se *SchemaError
		if res[0] != nil || !errors.As(res[1], &se) {
			t.Errorf("%T: %v", v, res)
		}
	}
}
