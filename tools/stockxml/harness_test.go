package stockxml

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The harnesses call what strata.yaml names: a project whose stock package,
// types, build function, validation methods and overlay entry points are
// named otherwise gets harnesses that import and call those, and that parse.
func TestHarnessSource(t *testing.T) {
	y, err := os.ReadFile(filepath.Join("..", "..", "strata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	renamed := strings.NewReplacer(
		"package: upstream/vmplugin", "package: vendor/builder",
		"command: StartVmCmd", "command: StartRequest",
		"build: Build", "build: Render",
		"validate: [ValidateFor, Validate]", "validate: [Check]",
		"order: overlay/layers.Order", "order: ext/chain.Patches",
		"context: overlay/layer.Context", "context: ext/patch.Input",
	).Replace(string(y))
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/agent\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "strata.yaml"), []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src string
		imports   []string
		has       []string
		hasNot    []string
	}{
		{"stock", harness,
			[]string{"example.com/agent/vendor/builder"},
			[]string{"stock.Render(", "&stock.StartRequest{}", `"Check"`},
			[]string{"vmplugin", "ValidateFor", "StartVmCmd"}},
		{"layers", layersHarness,
			[]string{"example.com/agent/ext/chain", "example.com/agent/ext/patch", "example.com/agent/vendor/builder", "example.com/agent/overlay/declarative", "example.com/agent/overlay/excmd"},
			[]string{".Patches {", ".Input{Ctx", ".Render(context.Background(), &cmd.StartRequest,"},
			[]string{"vmplugin", "layers.Order", "layer.Context"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := harnessSource(tc.src, root)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			var got []string
			for _, i := range f.Imports {
				p, _ := strconv.Unquote(i.Path.Value)
				got = append(got, p)
			}
			for _, want := range tc.imports {
				if !slices.Contains(got, want) {
					t.Errorf("imports %q, want %s among them", got, want)
				}
			}
			if _, err := parser.ParseFile(token.NewFileSet(), "main.go", src, 0); err != nil {
				t.Errorf("the harness does not parse: %v", err)
			}
			for _, s := range tc.has {
				if !strings.Contains(src, s) {
					t.Errorf("the harness lacks %q", s)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(src, s) {
					t.Errorf("the harness still says %q", s)
				}
			}
		})
	}
}
