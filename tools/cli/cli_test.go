package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/cli"
	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/mergetest"
	"github.com/strataagent/strata/tools/release"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestUpgradeCycle walks the playbook on the copy-drift fixture: accept,
// check, import the new release, see the drift, refresh the copy, accept,
// check and verify clean.
func TestUpgradeCycle(t *testing.T) {
	fixture, _ := filepath.Abs("../passes/copydrift/testdata/src/a")
	oldDir, _ := mergetest.Trees(t, fixture)
	t.Chdir(oldDir)

	if code, _, stderr := run(t, "accept"); code != cli.ExitClean {
		t.Fatalf("accept: exit %d: %s", code, stderr)
	}
	lockText, err := os.ReadFile("overlay/strata.lock")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lockText), "body upstream/vmplugin.MakeCPU h1:k8QLr0XrUggn5yI2tzIc3LYpGg6LBGUYSfnweqpa0oo=\n") {
		t.Errorf("lock lacks the body line of the copied original:\n%s", lockText)
	}
	if code, out, stderr := run(t, "check"); code != cli.ExitClean {
		t.Fatalf("check after accept: exit %d: %s%s", code, out, stderr)
	}

	code, out, stderr := run(t, "import", filepath.Join(fixture, "new"), "--version", "2.3.2", "--no-tests", "--json")
	if code != cli.ExitConflicts {
		t.Fatalf("import: exit %d, want 1: %s", code, stderr)
	}
	var rep finding.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("import --json: %v\n%s", err, out)
	}
	if len(rep.Conflicts) != 1 || rep.Conflicts[0].Class != "copy-drift" || rep.Conflicts[0].Symbol != "upstream/vmplugin.MakeCPU" || rep.New.Version != "2.3.2" {
		t.Fatalf("import report = %+v", rep)
	}
	if code, _, stderr := run(t, "verify"); code != cli.ExitClean {
		t.Fatalf("verify after import: exit %d: %s", code, stderr)
	}
	if code, _, _ := run(t, "check"); code != cli.ExitConflicts {
		t.Fatalf("check after import: exit %d, want 1", code)
	}

	code, out, stderr = run(t, "refresh", "upstream/vmplugin.MakeCPU")
	if code != cli.ExitClean || !strings.Contains(out, "merged") {
		t.Fatalf("refresh: exit %d: %s%s", code, out, stderr)
	}
	src, _ := os.ReadFile("overlay/steps/cpu.go")
	for _, want := range []string{`return "host"`, `return "none"`} {
		if !strings.Contains(string(src), want) {
			t.Errorf("refreshed copy lacks %s:\n%s", want, src)
		}
	}
	if code, _, stderr := run(t, "accept"); code != cli.ExitClean {
		t.Fatalf("accept: exit %d: %s", code, stderr)
	}
	if code, out, stderr := run(t, "check"); code != cli.ExitClean {
		t.Fatalf("check after refresh and accept: exit %d: %s%s", code, out, stderr)
	}

	// Editing upstream/ by hand is what verify catches.
	if err := os.WriteFile("upstream/vmplugin/extra.go", []byte("package vmplugin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := run(t, "verify"); code != cli.ExitConflicts {
		t.Errorf("verify after a hand edit: exit %d, want 1", code)
	}
}

// TestRefreshConflict: the overlay and upstream changed the same lines; the
// markers stay for a person and refresh exits 1.
func TestRefreshConflict(t *testing.T) {
	fixture, _ := filepath.Abs("../passes/copydrift/testdata/src/a")
	oldDir, _ := mergetest.Trees(t, fixture)
	t.Chdir(oldDir)
	if code, _, stderr := run(t, "accept"); code != cli.ExitClean {
		t.Fatalf("accept: %s", stderr)
	}
	// A release that rewrites the very lines the copy changed.
	rel := t.TempDir()
	if err := release.CopyTree(filepath.Join(fixture, "old"), rel); err != nil {
		t.Fatal(err)
	}
	cpu := filepath.Join(rel, "vmplugin", "cpu.go")
	b, _ := os.ReadFile(cpu)
	b = bytes.Replace(b, []byte("\tif n > 1 {\n\t\treturn \"smp\"\n\t}"), []byte("\tif n >= 2 {\n\t\treturn \"multi\"\n\t}"), 1)
	os.WriteFile(cpu, b, 0o644)
	if code, _, stderr := run(t, "import", rel, "--version", "x", "--no-tests"); code != cli.ExitConflicts {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	code, out, _ := run(t, "refresh")
	if code != cli.ExitConflicts || !strings.Contains(out, "conflicts left as markers") {
		t.Fatalf("refresh: exit %d: %s", code, out)
	}
	src, _ := os.ReadFile("overlay/steps/cpu.go")
	if !strings.Contains(string(src), "<<<<<<< copy") || !strings.Contains(string(src), ">>>>>>> upstream") {
		t.Errorf("no conflict markers:\n%s", src)
	}
	if code, _, _ := run(t, "check"); code != cli.ExitConflicts {
		t.Errorf("check with markers in the overlay: exit %d, want 1", code)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, cli.ExitError},
		{[]string{"--help"}, cli.ExitClean},
		{[]string{"frobnicate"}, cli.ExitError},
		{[]string{"diff"}, cli.ExitError},
		{[]string{"diff", "--new", "x", "--json", "--sarif"}, cli.ExitError},
		{[]string{"import", "x"}, cli.ExitError},
		{[]string{"stamp"}, cli.ExitError},
		{[]string{"check", "--layers"}, cli.ExitError},
	}
	for _, tt := range tests {
		if code, _, _ := run(t, tt.args...); code != tt.code {
			t.Errorf("strata %q: exit %d, want %d", tt.args, code, tt.code)
		}
	}
}
