package stockxml

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/release"
)

// goHarness is a generated main run with `go run` inside a release tree,
// so the tool learns what that tree's code does without linking it.
type goHarness struct {
	what string // for errors: "stock xml harness"
	dir  string // a scratch directory, removed by close
	main string
}

// source is what a harness template is executed with: the layout of the
// tree it runs in, and the tree's module for import paths.
type source struct {
	*layout.Layout
	Module string
}

// Import is the import path of a module-relative package.
func (s source) Import(rel string) string { return s.Module + "/" + rel }

// newHarness writes the harness src, a text/template over the tree's
// layout (source), for the tree at root.
func newHarness(what, src, root string) (*goHarness, error) {
	text, err := harnessSource(src, root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	dir, err := os.MkdirTemp("", "strata-harness-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	h := &goHarness{what: what, dir: dir, main: filepath.Join(dir, "main.go")}
	if err := os.WriteFile(h.main, []byte(text), 0o644); err != nil {
		h.close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return h, nil
}

func harnessSource(src, root string) (string, error) {
	lay, err := layout.Load(root)
	if err != nil {
		return "", err
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	module := modfile.ModulePath(gomod)
	if module == "" {
		return "", fmt.Errorf("%s/go.mod names no module", root)
	}
	tmpl, err := template.New("harness").Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("harness template: %w", err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, source{Layout: lay, Module: module}); err != nil {
		return "", fmt.Errorf("harness template: %w", err)
	}
	return b.String(), nil
}

func (h *goHarness) close() { os.RemoveAll(h.dir) }

// run runs the harness in root with args (and env added), bounded in time,
// and returns its standard output.
func (h *goHarness) run(ctx context.Context, root string, env []string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", "-trimpath", h.main}, args...)...)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "GOWORK=off"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s against %s: %w: %s", h.what, root, err, firstLines(stderr.String(), 8))
	}
	return stdout.Bytes(), nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

// UnionCorpus gathers the commands of the trees' stock corpora (each tree's
// layout names its folders) into a temporary directory the caller removes:
// every case of the first tree, plus the cases only a later tree has. A
// release's new fields reach the stock XML only through a new case (the
// old corpus cannot carry them); where both releases hold a case, the
// first tree's command is kept, so both renders see the same input and a
// difference is the builder's alone.
func UnionCorpus(trees ...string) (string, error) {
	dst, err := os.MkdirTemp("", "strata-corpus-")
	if err != nil {
		return "", fmt.Errorf("stock corpus: %w", err)
	}
	fail := func(err error) (string, error) {
		os.RemoveAll(dst)
		return "", fmt.Errorf("stock corpus: %w", err)
	}
	have := map[string]bool{}
	for _, tree := range trees {
		lay, err := layout.Load(tree)
		if err != nil {
			return fail(err)
		}
		added := map[string]bool{}
		for _, d := range lay.Stock.Corpus {
			files, err := filepath.Glob(filepath.Join(layout.Abs(tree, d), "*.json"))
			if err != nil {
				return fail(err)
			}
			for _, f := range files {
				name := filepath.Base(f)
				// A case is its command and its optional .config.json.
				c := strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".config")
				if have[c] {
					continue
				}
				added[c] = true
				if err := release.CopyTree(f, filepath.Join(dst, name)); err != nil {
					return fail(err)
				}
			}
		}
		for c := range added {
			have[c] = true
		}
	}
	return dst, nil
}

// Qualified names of the stock package's members, as the layers harness
// refers to them.
func (s source) BuildFunc() string  { return s.StockSymbol(s.Stock.Build) }
func (s source) ConfigType() string { return s.StockSymbol(s.Stock.Config) }
func (s source) HostType() string   { return s.StockSymbol(s.Stock.Host) }

// harnessImport is one package the layers harness imports, under an alias
// of its own (two layout entries may share a package).
type harnessImport struct{ Alias, Path string }

// LayerImports are the packages of the layers harness's references, once
// each, in a fixed order.
func (s source) LayerImports() []harnessImport {
	var out []harnessImport
	for _, q := range s.layerRefs() {
		pkg, _, _ := layout.Split(q)
		if alias := s.alias(pkg); len(out) == 0 || !containsAlias(out, alias) {
			out = append(out, harnessImport{Alias: alias, Path: s.Import(pkg)})
		}
	}
	return out
}

func containsAlias(is []harnessImport, a string) bool {
	for _, i := range is {
		if i.Alias == a {
			return true
		}
	}
	return false
}

func (s source) layerRefs() []string {
	return []string{s.Layers.Order, s.Layers.Context, s.Layers.Loader, s.Layers.Command, s.BuildFunc(), s.ConfigType(), s.HostType()}
}

// alias is the import alias of a package among the layers harness's.
func (s source) alias(pkg string) string {
	seen := map[string]int{}
	for _, q := range s.layerRefs() {
		p, _, _ := layout.Split(q)
		if _, ok := seen[p]; !ok {
			seen[p] = len(seen)
		}
	}
	return fmt.Sprintf("p%d", seen[pkg])
}

// Ref is q ("pkg/path.Name") as the layers harness spells it.
func (s source) Ref(q string) (string, error) {
	pkg, name, ok := layout.Split(q)
	if !ok {
		return "", fmt.Errorf("%q is not package.Name", q)
	}
	return s.alias(pkg) + "." + name, nil
}
