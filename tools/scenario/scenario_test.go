// Package scenario_test walks the upgrade playbook end to end on a copy of
// this repository: a simulated next release (upstream/ edited precisely)
// changes one thing of each kind the overlay touches, plus unrelated
// edits; strata names exactly those changes, refresh merges the drifted
// copies, the fixes a person would make are applied, and after accept the
// copy checks clean, verifies and its overlay tests pass.
package scenario_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/cli"
	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/touchpoints"
)

// edit is one precise text edit of a file: old must occur exactly once,
// unless all is set (then at least once, every occurrence replaced).
type edit struct {
	file, old, new string
	all            bool
}

// change is one upstream change of the simulated release and the
// conflicts it must produce ("class symbol").
type change struct {
	name  string
	edits []edit
	want  []string
}

// The release's changes, each where a vendor would make it.
var changes = []change{
	{
		name: "(a) a function linux2 calls takes a new parameter",
		edits: []edit{
			{file: "linux/qemuimg.go",
				old: "// QemuImgPath returns the qemu-img to run: the one on PATH, else the seed's\n// fixed /usr/bin/qemu-img.\nfunc QemuImgPath() string {\n",
				new: "// QemuImgPath returns the qemu-img to run: configured when set, else the\n// one on PATH, else the seed's fixed /usr/bin/qemu-img.\nfunc QemuImgPath(configured string) string {\n\tif configured != \"\" {\n\t\treturn configured\n\t}\n"},
			{file: "linux/qemuimg.go", old: "QemuImgPath(), \"info\"", new: "QemuImgPath(\"\"), \"info\""},
			{file: "linux/versions.go", old: "QemuImgPath(), \"--version\"", new: "QemuImgPath(\"\"), \"--version\""},
		},
		// QemuImgVersion's body changed with the call; the overlay reaches
		// it only through upstream ((*HostPlugin).Start → Fact →
		// QemuImgVersion): a transitive behavior-change.
		want: []string{"api-break upstream/linux.QemuImgPath", "behavior-change upstream/linux.QemuImgVersion"},
	},
	{
		name: "(b) the original of a stamped copy changes one line",
		edits: []edit{{file: "vmplugin/plugin.go",
			old: "\t\tif err := existing.Destroy(ctx, p.liveHost()); err != nil {\n\t\t\treturn err\n",
			new: "\t\tif err := existing.Destroy(ctx, p.liveHost()); err != nil {\n\t\t\treturn fmt.Errorf(\"destroy stopped vm[uuid:%s] before start: %w\", cmd.VMInstanceUUID, err)\n"}},
		want: []string{"copy-drift upstream/vmplugin.(*VmPlugin).startVmLocked"},
	},
	{
		name: "(c) a stock route the overlay overrides under /ex/ switches async to sync",
		edits: []edit{{file: "hostplugin/plugin.go",
			old: "s.RegisterAsyncURI(FactPath, p.Fact, kvmagent.InLane(kvmagent.LaneHost))",
			new: "s.RegisterSyncURI(FactPath, p.Fact)"}},
		// HostPlugin.Start, which the overlay calls, changed only in this
		// registration: no behavior-change besides. The routes the overlay
		// mirrors (overlay/mirror.go) follow the stock table by themselves.
		want: []string{"route-change /ex/host/fact"},
	},
	{
		name: "(d) upstream defines a settings key the overlay defines",
		edits: []edit{{file: "agent/config.go",
			old: "\t{\"log.format\", \"log-format\", \"text\", \"text or json\"},\n",
			new: "\t{\"log.format\", \"log-format\", \"text\", \"text or json\"},\n\t{\"ex.listen\", \"ex-listen\", \"\", \"address of the vendor's extension API (empty: off)\"},\n"}},
		want: []string{"settings-change ex.listen"},
	},
	{
		name:  "(e) a method the overlay overrides is renamed",
		edits: []edit{{file: "*", old: "RebootVm", new: "RebootVM", all: true}},
		// The rename reaches the registration in (*VmPlugin).Start, whose
		// stamped copy registers the overlay's override: copy-drift there
		// (and no override-drift besides: the override is the copy).
		want: []string{"override-lost upstream/vmplugin.(*VmPlugin).RebootVm", "copy-drift upstream/vmplugin.(*VmPlugin).Start"},
	},
	{
		name: "(f) a builder step now emits an element a layer writes",
		edits: []edit{{file: "vmplugin/features.go",
			old: "\tc.Domain.Features = f\n",
			new: "\tif !c.IsAarch64() {\n\t\tf.SMM = &libvirtxml.DomainFeatureSMM{State: \"on\"}\n\t}\n\tc.Domain.Features = f\n"}},
		want: []string{"xml-overlap /domain/features/smm"},
	},
	{
		name: "(g) a helper the stock validation calls gains a bound",
		edits: []edit{{file: "vmplugin/bounds.go",
			old: "\tif cmd.VMInternalID < 0 {\n\t\tadd(\"vmInternalId: %d is negative\", cmd.VMInternalID)\n\t}\n",
			new: "\tif cmd.VMInternalID < 0 {\n\t\tadd(\"vmInternalId: %d is negative\", cmd.VMInternalID)\n\t}\n\tif cmd.VMInternalID > 1<<31-1 {\n\t\tadd(\"vmInternalId: %d exceeds the maximum of %d\", cmd.VMInternalID, 1<<31-1)\n\t}\n"}},
		// The overlay calls ValidateFor, whose body is unchanged; the bound
		// is in checkBounds, two calls down (ValidateFor → validate →
		// checkBounds), which no corpus case trips.
		want: []string{"behavior-change upstream/vmplugin.(*StartVmCmd).checkBounds"},
	},
	{
		name: "(h) upstream adds a method the overlay's plugin type already defines",
		edits: []edit{{file: "vmplugin/plugin.go",
			old: "// Start registers vm_plugin's URIs.\n",
			new: "// StartEx registers extended URIs; the stock agent has none.\nfunc (p *VmPlugin) StartEx(s *kvmagent.Server) error { return nil }\n\n// Start registers vm_plugin's URIs.\n"}},
		want: []string{"shadowing upstream/vmplugin.(*VmPlugin).StartEx"},
	},
	{
		name: "unrelated: a new helper, comments, formatting",
		edits: []edit{
			{file: "linux/qemuimg.go", old: "// checkImagePath refuses",
				new: "// IsQcow2 reports whether a qemu-img format is qcow2.\nfunc IsQcow2(format string) bool { return format == \"qcow2\" }\n\n// checkImagePath refuses"},
			// Comment and layout inside the original of the stamped copy
			// `failed` and inside MarshalDomain, which the overlay calls.
			{file: "vmplugin/plugin.go", old: "func failed(err error) (any, error) {\n\tvar kerr *kvmagent.KvmError\n",
				new: "func failed(err error) (any, error) {\n\n\t// A KvmError goes into the envelope; the rest is the handler's error.\n\tvar kerr *kvmagent.KvmError\n"},
			{file: "vmplugin/build.go", old: "func MarshalDomain(d *libvirtxml.Domain) (string, error) {\n",
				new: "func MarshalDomain(d *libvirtxml.Domain) (string, error) {\n\t// (2.3.99: no change in behaviour, only this comment.)\n\n"},
		},
	},
}

// wantConflicts is every change's expected conflicts, sorted.
func wantConflicts(withXML bool) []string {
	var out []string
	for _, c := range changes {
		for _, w := range c.want {
			if withXML || !strings.HasPrefix(w, "xml-overlap ") {
				out = append(out, w)
			}
		}
	}
	slices.Sort(out)
	return out
}

// The fixes a person makes after refresh, on the overlay sides.
var fixes = []struct {
	name  string
	edits []edit
}{
	{"(a) pass the new parameter", []edit{{file: "linux2/backingchain.go", old: "linux.QemuImgPath()", new: "linux.QemuImgPath(\"\")"}}},
	{"(c) register the override sync, as the stock route now is", []edit{{file: "overlay/hostroutes.go",
		old: "s.RegisterAsyncURI(ExPrefix+hostplugin.FactPath, factEx(h.Fact), kvmagent.InLane(kvmagent.LaneHost))", new: "s.RegisterSyncURI(ExPrefix+hostplugin.FactPath, factEx(h.Fact))"}}},
	{"(d) rename the overlay's key and flag", []edit{
		{file: "overlay/agentex/config.go", old: "ex.listen", new: "ex.address", all: true},
		{file: "overlay/config/config.go", old: "ex.listen", new: "ex.address", all: true},
		{file: "overlay/agentex/config.go", old: "ex-listen", new: "ex-address", all: true},
		{file: "overlay/agentex/agent.go", old: "ex.listen", new: "ex.address", all: true},
		{file: "overlay/agentex/cli.go", old: "ex.listen", new: "ex.address", all: true},
	}},
	{"(e) rename the override", []edit{{file: "overlay/*", old: "RebootVm", new: "RebootVM", all: true}}},
}

func TestScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("the scenario copies the repository, renders the corpus and runs the overlay's tests")
	}
	for _, tool := range []string{"git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH: %v", tool, err)
		}
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	cp := filepath.Join(work, "repo")
	copyRepo(t, repo, cp)
	git(t, cp, "init", "-q", "-b", "main")
	git(t, cp, "add", "-A")
	git(t, cp, "commit", "-q", "-m", "the repository as it is")
	t.Chdir(cp)

	// The repository's lock may lag the tool (a new fingerprint format):
	// reconcile the copy first, so what follows is about the release.
	if code, out, stderr := strata(t, "check", "--no-xml"); code != cli.ExitClean {
		t.Logf("the repository's lock is not current (run strata accept there); accepting it in the copy:\n%s%s", out, stderr)
		mustRun(t, "accept")
		git(t, cp, "commit", "-q", "-am", "accept")
	}

	// The vendor's release: a clone of the copy with upstream/ edited and
	// committed on a branch the copy fetches, so it is both a directory
	// and a git ref.
	vendor := filepath.Join(work, "vendor")
	git(t, work, "clone", "-q", cp, vendor)
	for _, c := range changes {
		for _, e := range c.edits {
			apply(t, filepath.Join(vendor, "upstream"), e)
		}
	}
	// A vendor ships its stock goldens re-rendered with the release.
	goTest(t, vendor, "./upstream/vmplugin/", "-run", "^TestGolden$", "-update")
	writeProvenance(t, filepath.Join(vendor, "upstream"), "2.3.99")
	git(t, vendor, "commit", "-q", "-am", "kvmagent 2.3.99")
	git(t, cp, "fetch", "-q", vendor, "HEAD:vendor-2.3.99")

	// Preview by git ref, without the XML harness. The scenario is about
	// the touch points: the overlay's tests (test-break) are the playbook
	// test's, so neither command runs them here.
	code, out, stderr := strata(t, "diff", "--new", "vendor-2.3.99", "--no-xml", "--no-tests", "--json")
	rep := report(t, code, out, stderr)
	if got, want := classSymbols(rep.Conflicts), wantConflicts(false); !slices.Equal(got, want) {
		t.Errorf("diff --new REF --no-xml: conflicts\n%s\nwant\n%s\nreport:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}

	// Import the directory: the report names exactly the changes.
	before, err := release.Upstream{Dir: filepath.Join(cp, "upstream"), File: "UPSTREAM"}.ReadProvenance()
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr = strata(t, "import", filepath.Join(vendor, "upstream"), "--version", "2.3.99", "--no-tests", "--json")
	rep = report(t, code, out, stderr)
	if got, want := classSymbols(rep.Conflicts), wantConflicts(true); !slices.Equal(got, want) {
		t.Fatalf("import: conflicts\n%s\nwant\n%s\nreport:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
	if rep.New.Version != "2.3.99" || rep.Old.Version != before.Version {
		t.Errorf("import: versions old %q new %q", rep.Old.Version, rep.New.Version)
	}
	for _, f := range rep.Conflicts {
		if f.Overlay.File == "" || f.Message == "" || f.Action == "" {
			t.Errorf("import: finding without position, message or action: %+v", f)
		}
	}
	for _, sym := range []string{"upstream/linux.IsQcow2", "/host/fact"} {
		if !slices.ContainsFunc(rep.Info, func(f finding.Finding) bool { return f.Symbol == sym }) {
			t.Errorf("import: info does not list %s:\n%s", sym, out)
		}
	}
	mustRun(t, "verify")

	// Refresh merges the two drifted copies; the others are up to date
	// (the original of `failed` changed in layout and comments only).
	code, out, stderr = strata(t, "refresh")
	if code != cli.ExitClean {
		t.Fatalf("refresh: exit %d\n%s%s", code, out, stderr)
	}
	for _, line := range []string{
		"overlay.(*VmPluginEx).Start (copy of upstream/vmplugin.(*VmPlugin).Start): merged",
		"overlay.(*liveStart).clear (copy of upstream/vmplugin.(*VmPlugin).startVmLocked): merged",
		"overlay.failed (copy of upstream/vmplugin.failed): up to date",
	} {
		if !strings.Contains(out, "/"+line) && !strings.Contains(out, line) {
			t.Errorf("refresh output lacks %q:\n%s", line, out)
		}
	}
	tree, err := touchpoints.Load(cp)
	if err != nil {
		t.Fatal(err)
	}
	src := read(t, "overlay/vmpluginex.go")
	for _, s := range tree.Stamps {
		if o := tree.Object(s.Symbol); o == nil || o.Hash != s.Fingerprint {
			t.Errorf("after refresh, the stamp of %s is %s, want the new original's", s.Symbol, s.Fingerprint)
		}
	}
	for _, want := range []string{
		"return fmt.Errorf(\"destroy stopped vm[uuid:%s] before start: %w\", cmd.VMInstanceUUID, err)",
		"s.RegisterAsyncURI(vmplugin.KVMRebootVMPath, p.RebootVM)",
		"p.FromValidatedStartVmCmd(ctx, &cmd.StartVmCmd)", // the overlay's own lines are kept
	} {
		if !strings.Contains(src, want) {
			t.Errorf("after refresh, overlay/vmpluginex.go lacks %q", want)
		}
	}

	// The fixes, then (f): re-render the layers' goldens with the new
	// stock XML and read the change: <smm> appears in the XML, and the
	// machine layer's own <smm> write drops out of the explain listings
	// where the stock XML now has it.
	for _, f := range fixes {
		for _, e := range f.edits {
			apply(t, cp, e)
		}
	}
	goGenerate(t, cp, "./overlay/buildinfo") // the release the binaries report (MAINTAINING step 5)
	goTest(t, cp, "./overlay/layers/", "-run", "^TestGoldenCorpus$", "-update")
	goTest(t, cp, "./overlay/agentex/", "-run", "^TestGoldenRender$", "-update")
	diff := git(t, cp, "diff", "--", "overlay/layers/testdata", "overlay/agentex/testdata")
	for _, line := range strings.Split(diff, "\n") {
		if (strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-")) && !strings.HasPrefix(line, "+++") && !strings.HasPrefix(line, "---") &&
			!strings.Contains(line, "<smm") && !strings.Contains(line, "/domain/features/smm") && strings.TrimSpace(line[1:]) != "" {
			t.Errorf("re-rendered golden changed beyond <smm>: %s", line)
		}
	}

	mustRun(t, "accept")
	code, out, stderr = strata(t, "check", "--json")
	if rep := report(t, code, out, stderr); code != cli.ExitClean || len(rep.Conflicts) != 0 {
		t.Fatalf("check after the fixes and accept: exit %d\n%s%s", code, out, stderr)
	}
	mustRun(t, "verify")
	lock := read(t, "overlay/strata.lock")
	for _, line := range []string{
		"\nroute /host/fact sync upstream/hostplugin\n", // the stock route /ex/host/fact overrides
		"\ntype upstream/vmplugin.(*VmPlugin).RebootVM ",
		"\nbody upstream/vmplugin.(*VmPlugin).RebootVM ",
	} {
		if !strings.Contains(lock, line) {
			t.Errorf("the accepted lock lacks %q", line)
		}
	}
	// The overlay's own key, which upstream does not define: no upstream fact.
	if strings.Contains(lock, "\nsetting ex.address ") {
		t.Errorf("the accepted lock records an upstream ex.address")
	}
	goTest(t, cp, "./overlay/...", "./linux2/...")
}

// copyRepo copies the files git knows (tracked, and untracked but not
// ignored) of repo to dst.
func copyRepo(t *testing.T, repo, dst string, paths ...string) {
	t.Helper()
	args := append([]string{"ls-files", "-z", "--cached", "--others", "--exclude-standard", "--"}, paths...)
	list := git(t, repo, args...)
	for _, f := range strings.Split(strings.TrimRight(list, "\x00"), "\x00") {
		src := filepath.Join(repo, f)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or not a file
		}
		if err := release.CopyTree(src, filepath.Join(dst, f)); err != nil {
			t.Fatal(err)
		}
	}
}

// apply makes one edit under root; file "*" is every .go file under root,
// "dir/*" every .go file under root/dir.
func apply(t *testing.T, root string, e edit) {
	t.Helper()
	files := []string{filepath.Join(root, e.file)}
	if dir, ok := strings.CutSuffix(e.file, "*"); ok {
		files = nil
		filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
				files = append(files, p)
			}
			return err
		})
	}
	word := regexp.MustCompile(`\b` + regexp.QuoteMeta(e.old) + `\b`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		var next string
		switch {
		case e.all && strings.HasSuffix(e.file, "*"):
			// Identifier renames: whole words only (RebootVmCmd stays).
			n += len(word.FindAllStringIndex(s, -1))
			next = word.ReplaceAllLiteralString(s, e.new)
		case e.all:
			n += strings.Count(s, e.old)
			next = strings.ReplaceAll(s, e.old, e.new)
		default:
			if c := strings.Count(s, e.old); c != 1 {
				t.Fatalf("edit %s: %q occurs %d times, want once", e.file, e.old, c)
			}
			n++
			next = strings.Replace(s, e.old, e.new, 1)
		}
		if next != s {
			if err := os.WriteFile(f, []byte(next), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n == 0 {
		t.Fatalf("edit %s: %q not found", e.file, e.old)
	}
}

func writeProvenance(t *testing.T, dir, version string) {
	t.Helper()
	up := release.Upstream{Dir: dir, File: "UPSTREAM"}
	p, err := up.ReadProvenance()
	if err != nil {
		t.Fatal(err)
	}
	p.Version, p.Source, p.Files = version, "simulated release (tools/scenario)", nil
	if p.Tree, err = up.TreeHash(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, up.File), []byte(p.Format()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// strata runs the command line in the current directory.
func strata(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if code, out, stderr := strata(t, args...); code != cli.ExitClean {
		t.Fatalf("strata %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
}

func report(t *testing.T, code int, out, stderr string) finding.Report {
	t.Helper()
	if code == cli.ExitError {
		t.Fatalf("strata: exit 2: %s", stderr)
	}
	var rep finding.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v\n%s%s", err, out, stderr)
	}
	return rep
}

func classSymbols(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Class+" "+f.Symbol)
	}
	slices.Sort(out)
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=scenario", "-c", "user.email=scenario@localhost", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out.String()
}

// goTest runs go test in the copy; -trimpath lets packages the release
// did not change come from the build cache.
func goTest(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"test", "-trimpath", "-count=1"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test %s in the copy: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("go test %s:\n%s", strings.Join(args, " "), firstLines(string(out), 40))
}

func goGenerate(t *testing.T, dir string, pkgs ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"generate"}, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go generate %s in the copy: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("... (%d more lines)", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}
