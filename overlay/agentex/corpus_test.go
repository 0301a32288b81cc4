package agentex_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/overlay/agentex"
)

// TestLayersCorpus: `layers --corpus DIR` warns for the op that selects
// nothing in any stock corpus command (a typo in match), not for the one
// that does.
func TestLayersCorpus(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "agent.yaml")
	yaml := `layers:
  declarative:
    - name: typo-io
      after: disk-tuning
      select: {name: "*"}
      ops:
        - path: devices/disk/driver
          match: target.dev=xvda
          set: {io: native}
    - name: vda-io
      after: disk-tuning
      select: {name: "*"}
      ops:
        - path: devices/disk/driver
          match: target.dev=vda
          set: {io: threads}
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := agentex.Main([]string{"layers", "--config", cfg, "--corpus", "../../upstream/vmplugin/testdata"}, nil, &out, &errOut, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	got := out.String()
	if !strings.Contains(got, "warning: layers.declarative[0].ops[0] (") || !strings.Contains(got, "layer typo-io) selects nothing") {
		t.Errorf("no warning for typo-io:\n%s", got)
	}
	if strings.Contains(got, "layer vda-io) selects nothing") {
		t.Errorf("a warning for vda-io, which selects vda:\n%s", got)
	}
	if !strings.Contains(got, "ops, 1 select nothing") {
		t.Errorf("summary:\n%s", got)
	}
}

// TestLayersWriteCoverage: `layers --corpus DIR` warns for each declared
// layer write no command under DIR produces (the release-merge tool then
// watches that part through nothing), not for those it does.
func TestLayersWriteCoverage(t *testing.T) {
	dir := t.TempDir()
	body, err := os.ReadFile("../layers/testdata/disk_tuning.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "disk_tuning.json"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := agentex.Main([]string{"layers", "--corpus", dir}, nil, &out, &errOut, nil); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	got := out.String()
	tests := []struct {
		line string
		want bool
	}{
		{"warning: layer machine declares write /domain/os/loader, which none of the 1 commands under " + dir + " produced", true},
		{"warning: layer hugepages declares write /domain/memoryBacking/hugepages,", true},
		{"warning: layer disk-tuning declares write /domain/devices/disk/driver/@io,", false},
		{"warning: layer disk-tuning declares write /domain/iothreads,", false},
		{"writes: 1 commands rendered, ", true},
	}
	for _, tt := range tests {
		if strings.Contains(got, tt.line) != tt.want {
			t.Errorf("output has %q: %v, want %v:\n%s", tt.line, !tt.want, tt.want, got)
		}
	}
}
