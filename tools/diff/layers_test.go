package diff_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/release"
)

// Simulated releases against the real overlay with an operator's
// agent.yaml (--layers): the layer classes report exactly what is listed.
func TestSimulatedLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the stock corpus under two releases per case")
	}
	const file = "testdata/layers/agent.yaml"
	tests := []struct {
		name      string
		file      string // "" for the release unchanged
		old, new  string
		conflicts []string // "class symbol file:line: message fragment", layer classes only
	}{
		{
			// Only the override of a layer that writes none of the entry's
			// paths, whatever the release.
			name: "unchanged release",
			conflicts: []string{
				"stale-override balloon-over-disk-tuning overrides disk-tuning " + file + ":20: layer balloon-over-disk-tuning overrides disk-tuning, which no longer writes any path balloon-over-disk-tuning writes (balloon-over-disk-tuning writes /domain/devices/memballoon/@freePageReporting; disk-tuning writes /domain/iothreads, /domain/devices/disk/driver/@discard",
			},
		},
		{
			// The balloon model the entry matches is no longer emitted.
			name: "balloon model",
			file: "vmplugin/balloon.go",
			old:  "\t\tModel: \"virtio\",\n",
			new:  "\t\tModel: \"virtio-non-transitional\",\n",
			conflicts: []string{
				"layer-no-op layers.declarative[name=balloon-autodeflate] " + file + ":5: declarative layer balloon-autodeflate changed /domain/devices/memballoon/@autodeflate in corpus",
				"stale-override balloon-over-disk-tuning overrides disk-tuning " + file + ":20: layer balloon-over-disk-tuning overrides disk-tuning, which no longer writes",
			},
		},
		{
			// The stock bus of the tablet changes where the entry sets it.
			name: "tablet bus",
			file: "vmplugin/devices.go",
			old:  "Type: \"tablet\", Bus: \"usb\",",
			new:  "Type: \"tablet\", Bus: \"ps2\",",
			conflicts: []string{
				"layer-overlap layers.declarative[name=tablet-virtio] " + file + ":12: declarative layer tablet-virtio writes where the new release's stock XML differs (/domain/devices/input/@bus: corpus aarch64_basic, aarch64_ceph_iso, aarch64_numa_fusionstor and 17 more)",
				"stale-override balloon-over-disk-tuning overrides disk-tuning " + file + ":20: layer balloon-over-disk-tuning overrides disk-tuning, which no longer writes",
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
			if tt.file != "" {
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
			}
			rep, err := diff.Run(context.Background(), diff.Options{Root: root, New: up, Layers: []string{file}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Warnings) != 0 {
				t.Errorf("warnings %q", rep.Warnings)
			}
			var got []string
			for _, c := range rep.Conflicts {
				if !slices.Contains([]string{"layer-overlap", "layer-no-op", "stale-override"}, c.Class) {
					continue
				}
				got = append(got, c.Class+" "+c.Symbol+" "+c.Overlay.String()+": "+c.Message)
			}
			t.Logf("conflicts:\n%s", strings.Join(got, "\n"))
			if len(got) != len(tt.conflicts) {
				t.Fatalf("got %d layer conflicts, want %d", len(got), len(tt.conflicts))
			}
			for i, want := range tt.conflicts {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("conflict %d:\n got %s\nwant %s...", i, got[i], want)
				}
			}
		})
	}
}

// TestCheckLayers: the lock accepted, then the balloon model changed in
// the tree, check --layers names what diff --layers names (the old side
// is the operator's entries over the lock's stock XML). Accept keeps the
// stock XML lines even with --no-xml, so a lock without them (where check
// runs stale-override only and warns) is not built here.
func TestCheckLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the stock corpus")
	}
	ctx := context.Background()
	root, _ := filepath.Abs("../..")
	file, _ := filepath.Abs("testdata/layers/agent.yaml")
	stale := "stale-override balloon-over-disk-tuning overrides disk-tuning"
	tests := []struct {
		name        string
		acceptNoXML bool
		want        []string
		warn        string // a warning fragment, "" for none about --layers
	}{
		{"lock with stock xml", false, []string{"layer-no-op layers.declarative[name=balloon-autodeflate]", stale}, ""},
	}
	for _, tt := range tests {
		dir, err := release.Materialize(root, filepath.Join(root, "upstream"))
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if _, err := lock.Accept(ctx, dir, pass.LockKinds(passes.All), tt.acceptNoXML); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "upstream", "vmplugin", "balloon.go")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(strings.Replace(string(b), "\t\tModel: \"virtio\",\n", "\t\tModel: \"virtio-non-transitional\",\n", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := diff.CheckLayers(ctx, dir, false, []string{file})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, c := range rep.Conflicts {
			if slices.Contains([]string{"layer-overlap", "layer-no-op", "stale-override"}, c.Class) {
				got = append(got, c.Class+" "+c.Symbol)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: layer conflicts %q, want %q", tt.name, got, tt.want)
		}
		var said []string
		for _, w := range rep.Warnings {
			if strings.Contains(w, "--layers") {
				said = append(said, w)
			}
		}
		if (tt.warn == "") != (len(said) == 0) || (tt.warn != "" && !strings.Contains(strings.Join(said, "\n"), tt.warn)) {
			t.Errorf("%s: --layers warnings %q, want %q", tt.name, said, tt.warn)
		}
	}
}
