package touchpoints_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
	"github.com/strataagent/strata/tools/touchpoints"
)

func fingerprint(t *testing.T, src string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	return touchpoints.Fingerprint(f.Decls[0].(*ast.FuncDecl))
}

func TestFingerprint(t *testing.T) {
	const base = "func F(a int) int {\n\tif a > 1 {\n\t\treturn 2\n\t}\n\treturn a\n}"
	tests := []struct {
		name string
		src  string
		same bool
	}{
		{"identical", base, true},
		{"doc comment", "// F does things.\n" + base, true},
		{"inner comments", "func F(a int) int {\n\t// why\n\tif a > 1 { // more\n\t\treturn 2\n\t}\n\treturn a /* here */\n}", true},
		{"blank lines and layout", "func F(a int) int {\n\n\tif a > 1 {\n\n\t\treturn 2\n\t}\n\n\n\treturn a\n}", true},
		{"changed constant", "func F(a int) int {\n\tif a > 1 {\n\t\treturn 3\n\t}\n\treturn a\n}", false},
		{"renamed parameter", "func F(b int) int {\n\tif b > 1 {\n\t\treturn 2\n\t}\n\treturn b\n}", false},
		{"changed signature", "func F(a int64) int {\n\tif a > 1 {\n\t\treturn 2\n\t}\n\treturn 0\n}", false},
	}
	want := fingerprint(t, base)
	for _, tt := range tests {
		if got := fingerprint(t, tt.src); (got == want) != tt.same {
			t.Errorf("%s: same = %v, want %v", tt.name, got == want, tt.same)
		}
	}
	if fp, err := touchpoints.FingerprintSource(base); err != nil || fp != want {
		t.Errorf("FingerprintSource = %q, %v; want %q", fp, err, want)
	}
}

func load(t *testing.T, fixture string) *touchpoints.Tree {
	t.Helper()
	oldDir, _ := mergetest.Trees(t, filepath.Join("..", fixture))
	tree, err := touchpoints.Load(oldDir)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestLoadTouchPoints(t *testing.T) {
	tests := []struct {
		fixture string
		kind    func(*touchpoints.Tree) []string
		want    []string
	}{
		{"passes/overridelost/testdata/src/a", func(tr *touchpoints.Tree) (out []string) {
			for _, e := range tr.Embeds {
				out = append(out, "embed "+e.Symbol+" in "+e.Overlay)
			}
			for _, o := range tr.Overrides {
				out = append(out, "override "+o.Symbol+" by "+o.Overlay)
			}
			return out
		}, []string{
			"embed upstream/vmplugin.Plugin in overlay/ex.Plugin",
			"override upstream/vmplugin.(*Plugin).StartVm by overlay/ex.(*Plugin).StartVm",
			"override upstream/vmplugin.(*Plugin).StopVm by overlay/ex.(*Plugin).StopVm",
		}},
		{"passes/overridelost/testdata/src/a", func(tr *touchpoints.Tree) (out []string) {
			for _, u := range tr.Uses {
				out = append(out, fmt.Sprintf("%s %s call=%v %s", u.Kind, u.Symbol, u.Call, u.Pos))
			}
			return out
		}, []string{
			"type upstream/vmplugin.Plugin call=false overlay/ex/ex.go:7",
			"method upstream/vmplugin.(*Plugin).StartVm call=true overlay/ex/ex.go:12",
		}},
		{"passes/behaviorchange/testdata/src/b", func(tr *touchpoints.Tree) (out []string) {
			for _, sym := range []string{"upstream/vmplugin.(*StartVmCmd).Validate", "upstream/vmplugin.Build", "upstream/vmplugin.steps"} {
				out = append(out, fmt.Sprintf("%s -> %v", sym, tr.Object(sym).Refs))
			}
			return out
		}, []string{
			"upstream/vmplugin.(*StartVmCmd).Validate -> [upstream/vmplugin.CheckName upstream/vmplugin.checkCPUs]",
			"upstream/vmplugin.Build -> [upstream/vmplugin.steps]",
			"upstream/vmplugin.steps -> [upstream/vmplugin.makeCPU]",
		}},
		{"passes/shadowing/testdata/src/a", func(tr *touchpoints.Tree) (out []string) {
			for _, s := range tr.Shadows {
				out = append(out, fmt.Sprintf("shadow %s by %s via %s %s", s.Symbol, s.Member, s.Embed, s.Pos))
			}
			for _, p := range tr.Promotions {
				out = append(out, fmt.Sprintf("promote %s.%s = %q %s", p.Overlay, p.Name, p.Symbol, p.Pos))
			}
			return out
		}, []string{
			"shadow upstream/vmplugin.(*VmPlugin).Start by overlay/ex.(*Ex).Start via upstream/vmplugin.VmPlugin overlay/ex/ex.go:12",
			`promote overlay/ex.Ex.Name = "upstream/vmplugin.VmPlugin.Name" overlay/ex/ex.go:7`,
			`promote overlay/ex.Ex.Stop = "upstream/vmplugin.(*VmPlugin).Stop" overlay/ex/ex.go:7`,
			`promote overlay/ex.Watcher.Name = "upstream/vmplugin.VmPlugin.Name" overlay/ex/ex.go:19`,
			`promote overlay/ex.Watcher.Start = "upstream/vmplugin.(*VmPlugin).Start" overlay/ex/ex.go:19`,
			`promote overlay/ex.Watcher.Stop = "upstream/vmplugin.(*VmPlugin).Stop" overlay/ex/ex.go:19`,
			`promote overlay/ex.Watcher.Watch = "upstream/vmplugin.(*Monitor).Watch" overlay/ex/ex.go:20`,
		}},
		{"passes/routechange/testdata/src/a", func(tr *touchpoints.Tree) (out []string) {
			for _, r := range tr.Routes {
				out = append(out, fmt.Sprintf("%s %s async=%v", r.Side, r.Path, r.Async))
			}
			return out
		}, []string{
			"overlay /ex/vm/start async=true", "overlay /vm/start async=true", "overlay /vm/reboot async=true",
			"overlay /vm/gone async=false", "overlay /volume/resize async=true",
			"upstream /vm/start async=true", "upstream /vm/reboot async=true", "upstream /vm/echo async=false", "upstream /vm/gone async=false",
		}},
		{"passes/settingschange/testdata/src/a", func(tr *touchpoints.Tree) (out []string) {
			for _, s := range tr.Settings {
				out = append(out, fmt.Sprintf("%s defines %s %s", s.Side, s.Key, s.Type))
			}
			for _, r := range tr.Reads {
				out = append(out, "reads "+r.Key)
			}
			return out
		}, []string{
			"upstream defines vm.arch string", "upstream defines callback.retries int",
			"upstream defines callback.timeout time.Duration", "upstream defines log.level string",
			"overlay defines layers.uefi.nvram_dir string", "overlay defines layers.qemu_args.allow []string",
			"reads vm.arch", "reads callback.retries", "reads log.level", "reads layers.qemu_args.allow",
		}},
		{"passes/xmloverlap/testdata/src/a", func(tr *touchpoints.Tree) (out []string) {
			for _, w := range tr.Writes {
				out = append(out, w.Layer+" "+w.Path)
			}
			return out
		}, []string{
			"disk-io /domain/devices/disk/driver/@io", "disk-io /domain/devices/disk/driver/@cache",
			"features /domain/features/vmport", "uefi /domain/os/loader", "uefi /domain/os/nvram/@template",
		}},
		{"passes/copydrift/testdata/src/a", func(tr *touchpoints.Tree) (out []string) {
			for _, s := range tr.Stamps {
				out = append(out, s.Overlay+" "+s.Symbol+" "+s.Fingerprint+" "+s.Pos.String())
			}
			return out
		}, []string{
			"overlay/steps.makeCPU upstream/vmplugin.MakeCPU h1:k8QLr0XrUggn5yI2tzIc3LYpGg6LBGUYSfnweqpa0oo= overlay/steps/cpu.go:7",
			"overlay/steps.makeClock upstream/vmplugin.MakeClock h1:AsdxXFboSg9Z+yQeOmVSHRA+OT6rSK0TzTHnTU39Nbw= overlay/steps/cpu.go:20",
		}},
	}
	for _, tt := range tests {
		got := tt.kind(load(t, tt.fixture))
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.fixture, got, want)
		}
	}
}
