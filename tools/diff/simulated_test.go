package diff_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/release"
)

// Simulated releases against the real overlay, one upstream edit each: the
// report names exactly the conflicts listed, nothing else.
func TestSimulatedReleases(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the stock corpus under two releases per case")
	}
	tests := []struct {
		name             string
		file, old, new   string
		conflicts, infos []string // "class symbol: message fragment"
	}{
		{
			// One command field turns required: the two corpus cases
			// without it are refused, each once, and no layer path shows a
			// difference for them.
			name: "newly required block",
			file: "vmplugin/validate.go",
			old:  "\tif cmd.RootVolume == nil {\n",
			new:  "\tif cmd.Addons == nil {\n\t\terrs = append(errs, errors.New(\"addons: missing\"))\n\t}\n\tif cmd.RootVolume == nil {\n",
			conflicts: []string{
				"stock-acceptance corpus:aarch64_numa_fusionstor: stock validate: old: accepted; new: addons: missing",
				"stock-acceptance corpus:passthrough_minimal: stock validate: old: accepted; new: addons: missing",
			},
		},
		{
			// The stock builder starts passing QEMU arguments itself;
			// libvirtxml writes <commandline xmlns="...qemu/1.0">, which
			// the qemu-args layer's /domain/qemu:commandline must match.
			name: "stock qemu:commandline",
			file: "vmplugin/features.go",
			old:  "\tc.Domain.Features = f\n",
			new:  "\tc.Domain.Features = f\n\tc.Domain.QEMUCommandline = &libvirtxml.DomainQEMUCommandline{Args: []libvirtxml.DomainQEMUCommandlineArg{{Value: \"-no-user-config\"}}}\n",
			conflicts: []string{
				"xml-overlap /domain/qemu:commandline: layer qemu-args writes /domain/qemu:commandline, where the new release's stock XML differs at the paths it was recorded writing (/domain/qemu:commandline: corpus aarch64_basic",
			},
		},
	}
	root, _ := filepath.Abs("../..")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := filepath.Join(t.TempDir(), "upstream")
			if err := release.CopyTree(filepath.Join(root, "upstream"), up); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(up, tt.file)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(b), tt.old) != 1 {
				t.Fatalf("%s: %q does not occur once", tt.file, tt.old)
			}
			if err := os.WriteFile(f, []byte(strings.Replace(string(b), tt.old, tt.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := diff.Run(context.Background(), diff.Options{Root: root, New: up})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Warnings) != 0 {
				t.Errorf("warnings %q", rep.Warnings)
			}
			var got []string
			for _, c := range rep.Conflicts {
				got = append(got, c.Class+" "+c.Symbol+": "+c.Message)
			}
			t.Logf("conflicts:\n%s", strings.Join(got, "\n"))
			if len(got) != len(tt.conflicts) {
				t.Fatalf("conflicts\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tt.conflicts), strings.Join(tt.conflicts, "\n"))
			}
			for i, w := range tt.conflicts {
				class, rest, _ := strings.Cut(w, " ")
				sym, frag, _ := strings.Cut(rest, ": ")
				c := rep.Conflicts[i]
				if c.Class != class || c.Symbol != sym || !strings.Contains(c.Message, frag) || c.Overlay.File == "" {
					t.Errorf("conflict %d: %s (at %s)\nwant %s", i, got[i], c.Overlay, w)
				}
			}
		})
	}
}
