package declarative

import (
	"os"
	"os/exec"
	"path/filepath"
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
