package diff_test

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/release"
	"github.com/strataagent/strata/tools/report"
	"github.com/strataagent/strata/tools/touchpoints"
)

// A rename in the project, described in strata.yaml, changes nothing the
// tool reports: in a scratch copy of the repository the overlay folder
// linux2 becomes hostext (imports rewritten) and the layer type
// layer.Layer becomes layer.Patch (every reference, found with go/types),
// strata.yaml says both, and the 2.3.2 fixture's report equals the golden
// of the unrenamed tree with the renames mapped back; so do the touch
// points.
func TestRenamedLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the stock corpus under two releases")
	}
	// The repository the 2.3.2 fixture applies to (this one until an
	// import moves upstream/ on), and the fixture release.
	root, rel := releaseTree(t, "2.3.2")
	lay, err := layout.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	const (
		oldDir, newDir   = "linux2", "hostext"
		layerPkg         = "overlay/layer"
		oldType, newType = "Layer", "Patch"
	)
	scratch := t.TempDir()
	for _, c := range append(lay.Copied(), lay.Upstream.Dir) {
		if err := release.CopyTree(layout.Abs(root, c), layout.Abs(scratch, c)); err != nil {
			t.Fatal(err)
		}
	}
	module := "github.com/strataagent/strata/"
	if err := os.Rename(filepath.Join(scratch, oldDir), filepath.Join(scratch, newDir)); err != nil {
		t.Fatal(err)
	}
	rewriteGo(t, scratch, `"`+module+oldDir, `"`+module+newDir)
	renameType(t, scratch, module+layerPkg, oldType, newType)

	y, err := os.ReadFile(filepath.Join(scratch, layout.File))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.NewReplacer("  - "+oldDir+"\n", "  - "+newDir+"\n",
		"layer: "+layerPkg+"."+oldType+"\n", "layer: "+layerPkg+"."+newType+"\n").Replace(string(y))
	if strings.Count(edited, newDir) != 1 || !strings.Contains(edited, layerPkg+"."+newType) {
		t.Fatalf("strata.yaml moved: the rename edits no longer apply:\n%s", y)
	}
	if err := os.WriteFile(filepath.Join(scratch, layout.File), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// Back from the renamed tree's words to the repository's.
	back := strings.NewReplacer(newDir+"/", oldDir+"/", layerPkg+"."+newType, layerPkg+"."+oldType, "layer."+newType, "layer."+oldType)

	t.Run("touchpoints", func(t *testing.T) {
		want, err := touchpoints.Load(root)
		if err != nil {
			t.Fatal(err)
		}
		got, err := touchpoints.Load(scratch)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Errors) != 0 {
			t.Fatalf("the renamed overlay does not type-check: %v", got.Errors)
		}
		w, g := summary(want), back.Replace(summary(got))
		if w != g {
			t.Errorf("touch points differ after the rename:\n%s", lineDiff(w, g))
		}
		var hostext, layers int
		for _, u := range got.Uses {
			if strings.HasPrefix(u.Pos.File, newDir+"/") {
				hostext++
			}
		}
		layers = len(got.Writes)
		if hostext == 0 || layers == 0 {
			t.Errorf("the renamed tree's %s uses %d, layer writes %d: a class emptied", newDir, hostext, layers)
		}
	})

	t.Run("report", func(t *testing.T) {
		rep, err := diff.Run(context.Background(), diff.Options{Root: scratch, New: rel, Tests: true, TestCache: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		// overlay/layers' TestOrder finds the layers by the type's name in
		// the source text, so the rename itself breaks it, under both
		// releases: info, the rename's doing, not the tool's.
		rep.Info = slices.DeleteFunc(rep.Info, func(f finding.Finding) bool {
			return f.Class == "test-break" && f.Symbol == "overlay/layers.TestOrder" && strings.Contains(f.Message, "fails under the old release too")
		})
		var js, txt bytes.Buffer
		if err := report.JSON(&js, rep); err != nil {
			t.Fatal(err)
		}
		if err := report.Text(&txt, rep, report.Classes(passes.All), false); err != nil {
			t.Fatal(err)
		}
		for _, g := range []struct {
			file string
			got  string
		}{
			{"report.golden.json", js.String()},
			{"report.golden.txt", txt.String()},
		} {
			want, err := os.ReadFile(filepath.Join("testdata", "releases", "2.3.2", g.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := back.Replace(g.got); got != string(want) {
				t.Errorf("%s: the renamed tree's report differs:\n%s", g.file, lineDiff(string(want), got))
			}
		}
	})
}

// rewriteGo replaces old with new in every .go file under root.
func rewriteGo(t *testing.T, root, old, new string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if c := bytes.Count(b, []byte(old)); c > 0 {
			n += c
			return os.WriteFile(p, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("rewrite %s: %d replaced, %v", old, n, err)
	}
}

// renameType renames the type pkg.old to new at its declaration and every
// reference the type checker resolves to it, test files included (the
// same name length is not assumed).
func renameType(t *testing.T, root, pkg, old, new string) {
	t.Helper()
	cfg := &packages.Config{
		Mode:  packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:   root,
		Env:   append(os.Environ(), "GOWORK=off"),
		Tests: true,
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		t.Fatal(err)
	}
	// Each file's offsets of the identifiers to rename, once each (a test
	// variant of a package holds the same files again, with its own
	// objects: the type is matched by package, scope and name).
	is := func(obj types.Object) bool {
		tn, ok := obj.(*types.TypeName)
		return ok && tn.Name() == old && tn.Pkg() != nil && tn.Pkg().Path() == pkg && tn.Parent() == tn.Pkg().Scope()
	}
	edits := map[string]map[int]bool{}
	for _, p := range pkgs {
		if p.TypesInfo == nil {
			continue
		}
		for _, m := range []map[*ast.Ident]types.Object{p.TypesInfo.Defs, p.TypesInfo.Uses} {
			for id, obj := range m {
				if !is(obj) {
					continue
				}
				pos := p.Fset.Position(id.Pos())
				if edits[pos.Filename] == nil {
					edits[pos.Filename] = map[int]bool{}
				}
				edits[pos.Filename][pos.Offset] = true
			}
		}
	}
	if len(edits) < 2 {
		t.Fatalf("rename %s.%s: %d files", pkg, old, len(edits))
	}
	for f, offs := range edits {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var at []int
		for o := range offs {
			at = append(at, o)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(at)))
		for _, o := range at {
			if string(b[o:o+len(old)]) != old {
				t.Fatalf("%s:%d: %q is not %s", f, o, b[o:o+len(old)], old)
			}
			b = append(b[:o:o], append([]byte(new), b[o+len(old):]...)...)
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// summary prints a tree's overlay touch points, one per line, sorted.
func summary(t *touchpoints.Tree) string {
	var ls []string
	for _, u := range t.Uses {
		ls = append(ls, fmt.Sprintf("use %s %s %v %s", u.Symbol, u.Kind, u.Call, u.Pos))
	}
	for _, e := range t.Embeds {
		ls = append(ls, fmt.Sprintf("embed %s %s %s", e.Overlay, e.Symbol, e.Pos))
	}
	for _, o := range t.Overrides {
		ls = append(ls, fmt.Sprintf("override %s %s %s", o.Overlay, o.Symbol, o.Pos))
	}
	for _, s := range t.Stamps {
		ls = append(ls, fmt.Sprintf("stamp %s %s %s", s.Overlay, s.Symbol, s.Pos))
	}
	for _, r := range t.Routes {
		ls = append(ls, fmt.Sprintf("route %s %s %v %s %s", r.Side, r.Path, r.Async, r.Wraps, r.Pos))
	}
	for _, s := range t.Settings {
		ls = append(ls, fmt.Sprintf("setting %s %s %s %s", s.Side, s.Key, s.Type, s.Pos))
	}
	for _, r := range t.Reads {
		ls = append(ls, fmt.Sprintf("read %s %s", r.Key, r.Pos))
	}
	for _, w := range t.Writes {
		ls = append(ls, fmt.Sprintf("write %s %s %s", w.Layer, w.Path, w.Pos))
	}
	sort.Strings(ls)
	return strings.Join(ls, "\n") + "\n"
}

// lineDiff lists the lines only one side has.
func lineDiff(want, got string) string {
	w, g := map[string]int{}, map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		w[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		g[l]++
	}
	var out []string
	for l, n := range w {
		if g[l] < n {
			out = append(out, "- "+l)
		}
	}
	for l, n := range g {
		if w[l] < n {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("... (%d more)", len(out)-40))
	}
	return strings.Join(out, "\n")
}
