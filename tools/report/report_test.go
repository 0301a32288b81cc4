package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func pos(f string, l int) *finding.Pos { return &finding.Pos{File: f, Line: l} }

// sample has a duplicate and is out of order, as passes may return.
func sample() *finding.Report {
	r := &finding.Report{
		Old: finding.Release{Version: "2.3.0", Tree: "h1:old"},
		New: finding.Release{Version: "2.3.2", Tree: "h1:new"},
		Conflicts: []finding.Finding{
			{Class: "route-change", Severity: "error", Symbol: "/volume/resize", Overlay: finding.Pos{File: "overlay/exapi/routes.go", Line: 12},
				Upstream: finding.Upstream{New: pos("upstream/vmplugin/plugin.go", 104)},
				Message:  "upstream now registers /volume/resize (async), a path the overlay registers itself", Action: "rename the overlay's route"},
			{Class: "copy-drift", Severity: "error", Symbol: "upstream/vmplugin.MakeCPU", Overlay: finding.Pos{File: "overlay/steps/cpu.go", Line: 7},
				Upstream: finding.Upstream{Old: pos("upstream/vmplugin/cpu.go", 20), New: pos("upstream/vmplugin/cpu.go", 22)},
				Message:  "copy of upstream/vmplugin.MakeCPU drifted", Action: "run `strata refresh upstream/vmplugin.MakeCPU`"},
			{Class: "behavior-change", Severity: "warning", Symbol: "upstream/linux.DiskSize", Overlay: finding.Pos{File: "linux2/disk.go", Line: 3},
				Message: "the body of upstream/linux.DiskSize, which the overlay calls, changed", Action: "read it"},
		},
		Info: []finding.Finding{{Class: "api", Severity: "info", Symbol: "upstream/vmplugin.NewHelper", Message: "upstream/vmplugin.NewHelper: added"}},
	}
	r.Conflicts = append(r.Conflicts, r.Conflicts[1])
	r.Normalize()
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s", name, got)
	}
}

func TestPrinters(t *testing.T) {
	r := sample()
	if len(r.Conflicts) != 3 {
		t.Fatalf("Normalize kept %d conflicts, want 3 (one duplicate)", len(r.Conflicts))
	}
	tests := []struct {
		name  string
		print func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return report.Text(b, r, report.Classes(passes.All), false) }},
		{"report_color.txt", func(b *bytes.Buffer) error { return report.Text(b, r, report.Classes(passes.All), true) }},
		{"report.json", func(b *bytes.Buffer) error { return report.JSON(b, r) }},
		{"report.sarif", func(b *bytes.Buffer) error { return report.SARIF(b, r, passes.All) }},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := tt.print(&b); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		golden(t, tt.name, b.Bytes())
	}
	if report.ExitCode(r) != 1 || report.ExitCode(&finding.Report{}) != 0 {
		t.Error("exit codes")
	}
}

func TestEmptyJSONHasLists(t *testing.T) {
	r := &finding.Report{}
	r.Normalize()
	var b bytes.Buffer
	if err := report.JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`"conflicts": []`)) || !bytes.Contains(b.Bytes(), []byte(`"info": []`)) {
		t.Errorf("empty report: %s", b.String())
	}
}
