package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"

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
			{Class: "xml-overlap", Severity: "error", Symbol: "/domain/devices/controller", Overlay: finding.Pos{File: "overlay/layers/machine.go", Line: 44},
				Message: "layer machine writes /domain/devices/controller, where the new release's stock XML differs (corpus a, b, c and 1 more)",
				Action:  "re-render", Detail: []string{"a", "b", "c", "d"}},
			{Class: "api-break", Severity: "error", Symbol: "upstream/linux.QemuImgPath", Overlay: finding.Pos{File: "linux2/img.go", Line: 9},
				Also:     []finding.Pos{{File: "linux2/img.go", Line: 30}, {File: "overlay/host.go", Line: 4}},
				Upstream: finding.Upstream{Old: pos("upstream/linux/qemuimg.go", 10), New: pos("upstream/linux/qemuimg.go", 12)},
				Message:  "upstream/linux.QemuImgPath: changed from func() string to func(string) string", Action: "adapt the overlay"},
			{Class: "behavior-change", Severity: "warning", Symbol: "upstream/linux.DiskSize", Overlay: finding.Pos{File: "linux2/disk.go", Line: 3},
				Message: "the body of upstream/linux.DiskSize, which the overlay calls, changed", Action: "read it"},
		},
		Info: []finding.Finding{{Class: "api", Severity: "info", Symbol: "upstream/vmplugin.NewHelper", Message: "upstream/vmplugin.NewHelper: added", Upstream: finding.Upstream{New: pos("upstream/vmplugin/helper.go", 3)}}},
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
	if len(r.Conflicts) != 5 {
		t.Fatalf("Normalize kept %d conflicts, want 5 (one duplicate)", len(r.Conflicts))
	}
	tests := []struct {
		name  string
		print func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return report.Text(b, r, report.Classes(passes.All), false) }},
		{"report_color.txt", func(b *bytes.Buffer) error { return report.Text(b, r, report.Classes(passes.All), true) }},
		{"report_verbose.txt", func(b *bytes.Buffer) error {
			return report.TextWith(b, r, report.Classes(passes.All), report.TextOptions{Verbose: true})
		}},
		{"report.json", func(b *bytes.Buffer) error { return report.JSON(b, r) }},
		{"report.sarif", func(b *bytes.Buffer) error { return report.SARIF(b, r, passes.All, "test") }},
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

// TestSARIFSchema validates the SARIF output against the OASIS SARIF 2.1.0
// schema (errata01, testdata/sarif-schema-2.1.0.json, from
// oasis-tcs/sarif-spec sarif-2.1/schema) and checks what a reader needs:
// driver.version, per-rule help and helpUri, the new release's base id,
// info as notes and Also as extra locations.
func TestSARIFSchema(t *testing.T) {
	var b bytes.Buffer
	if err := report.SARIF(&b, sample(), passes.All, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("SARIF output is not valid 2.1.0: %v\n%s", err, b.String())
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Version string
					Rules   []struct {
						ID               string
						ShortDescription struct{ Text string }
						Help             struct{ Text, Markdown string }
						HelpURI          string
					}
				}
			}
			Results []struct {
				RuleID    string
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string
							URIBaseID string `json:"uriBaseId"`
						}
					}
				}
				RelatedLocations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string
							URIBaseID string `json:"uriBaseId"`
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	d := log.Runs[0].Tool.Driver
	if d.Version != "v1.2.3" {
		t.Errorf("driver.version %q", d.Version)
	}
	for _, ru := range d.Rules {
		if ru.ShortDescription.Text == "" || strings.Contains(ru.ShortDescription.Text, "Package ") || ru.Help.Markdown == "" || !strings.HasPrefix(ru.HelpURI, report.HelpBase+"#") {
			t.Errorf("rule %s: short %q, help %q, helpUri %q", ru.ID, ru.ShortDescription.Text, ru.Help.Markdown, ru.HelpURI)
		}
	}
	var notes, also, newBase int
	for _, r := range log.Runs[0].Results {
		if r.Level == "note" && r.RuleID == report.InfoRule {
			notes++
		}
		if r.RuleID == "api-break" {
			also = len(r.Locations)
		}
		for _, l := range r.RelatedLocations {
			if strings.HasSuffix(l.PhysicalLocation.ArtifactLocation.URI, "qemuimg.go") && l.PhysicalLocation.ArtifactLocation.URIBaseID == report.NewRelease {
				newBase++
			}
		}
	}
	if notes != 1 || also != 3 || newBase != 1 {
		t.Errorf("info notes %d (want 1), api-break locations %d (want 3: the line and two Also), new-release related locations %d (want 1)", notes, also, newBase)
	}
}

// TestRulesLinkMaintaining: every class has a rule, and every rule's
// anchor is a heading of MAINTAINING.md.
func TestRulesLinkMaintaining(t *testing.T) {
	md, err := os.ReadFile("../../MAINTAINING.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(md), "\n") {
		if h, ok := strings.CutPrefix(line, "#"); ok {
			anchors[slug(strings.TrimLeft(h, "# "))] = true
		}
	}
	for _, c := range append(report.Classes(passes.All), report.LockClass, report.InfoRule) {
		ru, ok := report.Rules[c]
		if !ok {
			t.Errorf("class %s has no report.Rules entry", c)
			continue
		}
		if !anchors[ru.Anchor] {
			t.Errorf("rule %s: MAINTAINING.md has no heading #%s", c, ru.Anchor)
		}
	}
}

// slug is GitHub's heading anchor: lower case, punctuation but - and _
// dropped, spaces as dashes.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
