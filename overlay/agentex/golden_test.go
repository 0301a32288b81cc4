package agentex_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/strataagent/strata/overlay/agentex"
	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/overlay/domaintest"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/upstream/agent"
)

// The declarative golden corpus, through the whole composition:
// testdata/<case>.json is a StartVmExCmd and testdata/<case>.yaml the agent
// config it is rendered with (layers.declarative, layers.conflict_policy).
// testdata/<case>.xml is what `strata-agent render` prints and
// testdata/<case>.explain.txt what `render --explain` prints; when the
// render fails, explain.txt is "exit N" and the error it printed, and there
// is no XML. Both come from agentex.Main in-process, the function
// cmd/strata-agent runs, so the goldens are the CLI's output.
// testdata/layers/<name>.yaml -> <name>.txt is `strata-agent layers`.
var update = flag.Bool("update", false, "rewrite the goldens under testdata/")

// runMain runs strata-agent's entry in-process with no environment, so a
// STRATA_ variable of the test's environment cannot change a golden.
func runMain(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = agentex.Main(args, strings.NewReader(""), &out, &errOut, nil)
	return code, out.String(), errOut.String()
}

type renderCase struct{ name, cmd, config string }

func renderCases(t testing.TB) []renderCase {
	t.Helper()
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []renderCase
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		cmd := filepath.Join("testdata", name+".json")
		if _, err := os.Stat(cmd); err != nil {
			t.Fatalf("%s has no command: %v", f, err)
		}
		out = append(out, renderCase{name: name, cmd: cmd, config: f})
	}
	if len(out) < 12 {
		t.Fatalf("only %d golden cases, want at least 12", len(out))
	}
	return out
}

// render returns the XML ("" when the render failed) and the explain text.
func render(t testing.TB, c renderCase) (string, string) {
	t.Helper()
	code, x, xerr := runMain(t, "render", "--config", c.config, c.cmd)
	ecode, explain, eerr := runMain(t, "render", "--explain", "--config", c.config, c.cmd)
	if code != ecode || xerr != eerr {
		t.Fatalf("render and render --explain disagree: exit %d %q vs exit %d %q", code, xerr, ecode, eerr)
	}
	if code != 0 {
		if x != "" || explain != "" {
			t.Errorf("a failed render printed on stdout: %q %q", x, explain)
		}
		return "", fmt.Sprintf("exit %d\n%s", code, xerr)
	}
	if xerr != "" {
		t.Errorf("render succeeded but printed on stderr: %q", xerr)
	}
	return x, explain
}

func TestGoldenRender(t *testing.T) {
	for _, c := range renderCases(t) {
		t.Run(c.name, func(t *testing.T) {
			x, explain := render(t, c)
			domaintest.Golden(t, "testdata/"+c.name+".explain.txt", explain, *update)
			xmlPath := "testdata/" + c.name + ".xml"
			if x == "" {
				if *update {
					os.Remove(xmlPath)
				} else if _, err := os.Stat(xmlPath); err == nil {
					t.Errorf("%s exists but the render failed", xmlPath)
				}
				return
			}
			domaintest.Golden(t, xmlPath, x, *update)
		})
	}
}

// TestNoMatchIsStock: layers whose selectors miss the VM (by name, by
// uuid, by a tag the command lacks) leave the domain as strata-agent
// builds it with no layers configured: upstream's golden for the same
// command through the vendor fixes (byte for byte upstream's where no fix
// applies), and --diff shows the fixes' changes alone.
func TestNoMatchIsStock(t *testing.T) {
	got, err := os.ReadFile("testdata/no_match.xml")
	if err != nil {
		t.Fatal(err)
	}
	stock, err := os.ReadFile("../../upstream/vmplugin/testdata/qos_nics.xml")
	if err != nil {
		t.Fatal(err)
	}
	// The same configuration without its layers (the emulator pinned).
	baseCfg := filepath.Join(t.TempDir(), "base.yaml")
	if err := os.WriteFile(baseCfg, []byte("vm:\n  emulator: /usr/libexec/qemu-kvm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, base, stderr := runMain(t, "render", "--config", baseCfg, "testdata/no_match.json")
	if code != 0 {
		t.Fatalf("render without config: exit %d: %s", code, stderr)
	}
	if string(got) != base {
		t.Errorf("no_match.xml is not the render without layers configured")
	}
	code, explain, _ := runMain(t, "render", "--explain", "--config", "testdata/no_match.yaml", "testdata/no_match.json")
	if code != 0 || withoutFixes(explain) != "no layer changed the domain\n" {
		t.Errorf("render --explain: exit %d, want no layer but the vendor fixes:\n%s", code, explain)
	}
	if explain == "no layer changed the domain\n" && !bytes.Equal(got, stock) {
		t.Errorf("no layer applied, yet no_match.xml is not upstream's qos_nics.xml byte for byte")
	}
	_, fixesDiff, _ := runMain(t, "render", "--diff", "--config", baseCfg, "testdata/no_match.json")
	code, diff, stderr := runMain(t, "render", "--diff", "--config", "testdata/no_match.yaml", "testdata/no_match.json")
	if code != 0 || diff != fixesDiff {
		t.Errorf("render --diff: exit %d, diff %q, stderr %q; want exit 0 and the vendor fixes' diff %q", code, diff, stderr, fixesDiff)
	}
	// The same layers do apply once the selectors match: the case tests
	// the selectors, not layers that never do anything.
	code, _, stderr = runMain(t, "render", "--config", "testdata/no_match.yaml", "testdata/delete_nth_by_tag.json")
	if code != 0 {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	code, explain, _ = runMain(t, "render", "--explain", "--config", "testdata/no_match.yaml", "testdata/delete_nth_by_tag.json")
	if code != 0 || !regexp.MustCompile(`(?m)^other-tag +removed /domain/devices/disk\[target=vda\]`).MatchString(explain) {
		t.Errorf("other-tag did not apply to a web VM tagged role=frontend:\n%s", explain)
	}
}

// withoutFixes is an --explain listing without the vendor fixes' lines:
// they lead the chain and apply wherever the release's stock XML needs
// them, so what a case is there to show is read past them.
func withoutFixes(explain string) string {
	fix := map[string]bool{}
	for _, l := range layers.VendorFixes {
		fix[l.Name] = true
	}
	var out []string
	for _, line := range strings.SplitAfter(explain, "\n") {
		if rest, ok := strings.CutPrefix(line, "layers applied: "); ok {
			var kept []string
			for _, n := range strings.Split(strings.TrimSuffix(rest, "\n"), ", ") {
				if !fix[n] {
					kept = append(kept, n)
				}
			}
			if len(kept) == 0 {
				out = append(out, "no layer changed the domain\n")
				continue
			}
			line = "layers applied: " + strings.Join(kept, ", ") + "\n"
		} else if name, _, _ := strings.Cut(line, " "); fix[name] {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "")
}

// TestGoldenCorpusCovers keeps the corpus honest: every declarative form
// and selector is used by some case, and the conflict, warn and override
// cases show what they are there for.
func TestGoldenCorpusCovers(t *testing.T) {
	need := map[string]bool{}
	for _, k := range []string{
		"op:set", "op:unset", "op:create", "op:delete", "op:merge",
		"vm:uuid", "vm:name-glob", "vm:tag",
		"dev:first", "dev:nth", "dev:all", "dev:match", "match:target.dev=vdb", "match:device=cdrom",
		"place:before", "place:after", "overrides",
	} {
		need[k] = false
	}
	mark := func(k string) {
		if _, ok := need[k]; ok {
			need[k] = true
		}
	}
	var corpus strings.Builder
	for _, c := range renderCases(t) {
		entries, err := declarative.LoadFile(c.config)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Select.UUID != "" {
				mark("vm:uuid")
			}
			if strings.ContainsAny(e.Select.Name, "*?[") {
				mark("vm:name-glob")
			}
			if e.Select.Tag != "" {
				mark("vm:tag")
			}
			if e.Before != "" {
				mark("place:before")
			} else {
				mark("place:after")
			}
			if len(e.Overrides) > 0 {
				mark("overrides")
			}
			for _, o := range e.Ops {
				switch {
				case o.Set != nil:
					mark("op:set")
				case o.Unset != nil:
					mark("op:unset")
				case o.Create != nil:
					mark("op:create")
				case o.Delete:
					mark("op:delete")
				case o.Merge != "":
					mark("op:merge")
				}
				switch {
				case o.First:
					mark("dev:first")
				case o.Nth > 0:
					mark("dev:nth")
				case o.All:
					mark("dev:all")
				}
				if len(o.Match) > 0 {
					mark("dev:match")
				}
				for _, m := range o.Match {
					mark("match:" + m)
				}
			}
		}
		b, err := os.ReadFile("testdata/" + c.name + ".explain.txt")
		if err != nil {
			t.Fatal(err)
		}
		corpus.WriteString("== " + c.name + "\n")
		corpus.WriteString(withoutFixes(string(b)))
	}
	for k, ok := range need {
		if !ok {
			t.Errorf("no golden case uses %s", k)
		}
	}
	all := corpus.String()
	for _, re := range []string{
		// policy fail: the golden is the error, naming both layers.
		`== conflict_fail\nexit 1\nstrata-agent render: .*layers "disk-tuning" and "legacy-threads-io" both wrote /domain/devices/disk\[target=vdb\]/driver/@io\n`,
		// policy warn: both writes listed, then the conflict.
		`== conflict_warn\n(?s:.*)disk-tuning +added +/domain/devices/disk\[target=vdb\]/driver/@io = "native"\nlegacy-threads-io +set +/domain/devices/disk\[target=vdb\]/driver/@io = "threads" \(was "native"\)\nconflict: layers "disk-tuning" and "legacy-threads-io" both wrote`,
		`== override_ack\n(?s:.*)\[overrides disk-tuning: acknowledged\]\n`,
		`== no_match\nno layer changed the domain\n`,
		// one command through Go layers and declarative ones together.
		`layers applied: pmu-off, pinning, nic-multiqueue, rng, balloon-autodeflate, watchdog, tags\n`,
		// placement decides: before machine the IDE cdrom is there to delete,
		// after it the SATA ones are there to edit.
		`== before_machine\nlayers applied: ide-cdrom-trim, machine\nide-cdrom-trim +removed /domain/devices/disk\[target=hde\][^\n]*\n`,
		`== after_machine\nlayers applied: machine, ide-cdrom-trim\n(?s:.*)ide-cdrom-trim +added +/domain/devices/disk\[target=sda\]/serial[^\n]*\n`,
	} {
		if !regexp.MustCompile(re).MatchString(all) {
			t.Errorf("no golden case shows %s", re)
		}
	}
}

func xmlGoldens(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d golden XML files", len(files))
	}
	return files
}

func TestGoldenSchema(t *testing.T) {
	domaintest.Schema(t, xmlGoldens(t))
}

// TestGoldenDefine defines each golden XML on libvirt's in-process test
// driver (its parser and post-parse checks), then undefines it.
func TestGoldenDefine(t *testing.T) {
	domaintest.Define(t, xmlGoldens(t))
}

// TestGoldenLayers: `strata-agent layers` on a config with two declarative
// layers: the order with both placed, reads, writes, overrides, the
// declared overlaps and the validation result.
func TestGoldenLayers(t *testing.T) {
	files, err := filepath.Glob("testdata/layers/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/layers/*.yaml: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, stderr := runMain(t, "layers", "--config", f)
			if code != 0 || stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
			}
			domaintest.Golden(t, strings.TrimSuffix(f, ".yaml")+".txt", out, *update)
		})
	}
	// The golden itself must show what the command is for.
	b, err := os.ReadFile("testdata/layers/two.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`(?m)^ 1\. spicevmc-without-spice \(go\)\n    Vendor fix: `,
		`(?m)^ 2\. drop-spare-cdrom \(declarative\)\n.*\n    reads:     config:layers.declarative\[name=drop-spare-cdrom\], ex.tags.role\n    writes:    /domain/devices/disk, /domain/devices/interface/mtu, /domain/devices/interface/mtu/@size\n 3\. machine \(go\)`,
		`(?m)^ 7\. disk-tuning \(go\)\n(?:.*\n){3}    overrides: machine\n 8\. legacy-threads-io \(declarative\)\n    io=threads on vdb, deliberately winning over ex.disks\n    reads:     config:layers.declarative\[name=legacy-threads-io\]\n    writes:    /domain/devices/disk/driver/@io\n    overrides: disk-tuning\n 9\. rng \(go\)`,
		`(?m)^configuration: valid\n\z`,
	} {
		if !regexp.MustCompile(re).Match(b) {
			t.Errorf("testdata/layers/two.txt does not match %s", re)
		}
	}
}

// badConfigs: each file under testdata/bad holds one invalid declarative
// entry; the error names the file, the line and the key.
var badConfigs = []struct{ file, want string }{
	{"bad_selector.yaml", `testdata/bad/bad_selector.yaml:14: layers.declarative[1].select.uuid "bad-uuid": "not-a-uuid" is not a uuid`},
	{"bad_tag.yaml", `testdata/bad/bad_tag.yaml:7: layers.declarative[0].select.tag "bad-tag": "role": want key=value`},
	{"unknown_element.yaml", `testdata/bad/unknown_element.yaml:8: layers.declarative[0].ops[0].path "frob": element <frobnicator> under devices is not part of libvirt's domain model`},
	{"bad_fragment.yaml", `testdata/bad/bad_fragment.yaml:10: layers.declarative[0].ops[0].merge "ovs-port": element <foo> under devices/interface is not part of libvirt's domain model`},
	{"unknown_anchor.yaml", `testdata/bad/unknown_anchor.yaml:5: layers.declarative[0].after "lost": no Go layer named "disk-tunning"`},
	{"unknown_key.yaml", `testdata/bad/unknown_key.yaml:6: layers.declarative[0].selct "typo": unknown key`},
	{"unknown_override.yaml", `testdata/bad/unknown_override.yaml:6: layers.declarative[0].overrides[0] "wins": no layer named "disk-tunning"`},
}

func TestBadConfigLoad(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) != len(badConfigs) {
		t.Fatalf("%d files under testdata/bad, %d in the table", len(files), len(badConfigs))
	}
	for _, bc := range badConfigs {
		t.Run(bc.file, func(t *testing.T) {
			path := "testdata/bad/" + bc.file
			flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
			if err := agent.AddFlags(flags, agentex.Settings()); err != nil {
				t.Fatal(err)
			}
			if err := flags.Parse([]string{"--config", path}); err != nil {
				t.Fatal(err)
			}
			_, _, err := agentex.LoadConfig(flags, nil)
			if err == nil || !strings.Contains(err.Error(), bc.want) {
				t.Errorf("LoadConfig: %v\nwant it to contain %s", err, bc.want)
			}
		})
	}
}

func TestBadConfigLayersCommand(t *testing.T) {
	for _, bc := range badConfigs {
		t.Run(bc.file, func(t *testing.T) {
			code, out, _ := runMain(t, "layers", "--config", "testdata/bad/"+bc.file)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(out, "configuration: INVALID\n"+bc.want) {
				t.Errorf("output does not say INVALID and %s:\n%s", bc.want, out)
			}
			// The Go layers are still listed: the operator sees the order
			// the bad entry was to join.
			if !strings.Contains(out, "layer order:\n 1. "+layers.Order[0].Name+" (go)") {
				t.Errorf("no layer order in the output:\n%s", out)
			}
		})
	}
}

// TestBadConfigServeRefuses: `strata-agent serve` with a bad config exits
// non-zero before listening, naming file, line and key. It listens on
// 127.0.0.1:0 and test:///default, so a wrong start binds nothing real;
// the test then stops it with SIGINT, which serve handles.
func TestBadConfigServeRefuses(t *testing.T) {
	for _, bc := range badConfigs {
		t.Run(bc.file, func(t *testing.T) {
			type result struct {
				code           int
				stdout, stderr string
			}
			done := make(chan result, 1)
			go func() {
				var out, errOut bytes.Buffer
				code := agentex.Main([]string{"serve", "--config", "testdata/bad/" + bc.file,
					"--listen", "127.0.0.1:0", "--ex-listen", "127.0.0.1:0", "--libvirt-uri", "test:///default"},
					strings.NewReader(""), &out, &errOut, nil)
				done <- result{code, out.String(), errOut.String()}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				t.Errorf("serve started with a bad configuration; stopping it")
				if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
					t.Fatalf("stop serve: %v", err)
				}
				r = <-done
			}
			if r.code == 0 {
				t.Errorf("serve exited 0")
			}
			if !strings.Contains(r.stderr, bc.want) {
				t.Errorf("serve's error does not name file, line and key (%s):\n%s", bc.want, r.stderr)
			}
		})
	}
}
