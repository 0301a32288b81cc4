package layout_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/layout"
)

// roleWords are the sides' labels in findings, lock lines and prose: a
// literal may say "upstream" or "overlay" as a word, never as a path.
var roleWords = map[string]bool{"upstream": true, "overlay": true}

// allowedFiles hold no literal of the repository's layout by design.
var allowedFiles = map[string]string{
	"layout/layout.go": "strata.yaml's own keys (upstream.dir, ...) in its errors",
}

// allowed are the literals that spell a path of this repository on
// purpose, by file and value, each with why.
var allowed = map[string]map[string]string{
	"release/release.go": {
		// Every file's name in the tree hash and the provenance file's
		// lines: a role label, so the hash does not move with the folder.
		"upstream/": "hash prefix",
	},
	"lock/lock.go": {
		// The lock's first line, which every lock already carries.
		"# strata.lock: upstream/ as the overlay last reconciled with it; each kind belongs to the passes that read it (strata accept writes it)\n": "lock header",
	},
	"report/report.go": {
		// SARIF's base URI descriptions, kept byte-identical in the
		// report goldens; Report carries no layout.
		"the old release's tree (paths start at upstream/), ": "sarif base",
		"the new release's tree (paths start at upstream/), ": "sarif base",
	},
}

// TestNoProjectLiterals keeps the repository's layout out of the tool: no
// string literal in tools/ (non-test, non-testdata files) names a folder,
// package, type or function that strata.yaml names. A team that renames one
// edits strata.yaml, not the tool.
func TestNoProjectLiterals(t *testing.T) {
	l, err := layout.Load(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	// Paths: a literal's word that is one, or starts with one and a "/" or
	// "." (a file below it, a symbol in it).
	paths := map[string]bool{l.Upstream.Dir: true, l.Lock.File: true, l.Lock.Dir: true, l.Stock.Package: true}
	for _, ds := range [][]string{l.Overlay, l.Stock.Corpus, l.Goldens.Dirs} {
		for _, d := range ds {
			paths[d] = true
		}
	}
	// Names: a literal that is one, and their qualified short forms
	// ("layer.Layer", "(*StartVmCmd)") anywhere in a literal.
	names := map[string]bool{l.Upstream.Provenance: true, l.Composition.Routes.Sync: true, l.Composition.Routes.Async: true}
	short := map[string]bool{"(*" + l.Stock.Command + ")": true}
	stock := filepath.Base(l.Stock.Package)
	for _, n := range append([]string{l.Stock.Command, l.Stock.Config, l.Stock.Host, l.Stock.Build}, l.Stock.Validate...) {
		names[n] = true
		short[stock+"."+n] = true
	}
	for _, q := range []string{l.Composition.Routes.Type, l.Composition.Settings, l.Composition.Layer, l.Layers.Order, l.Layers.Context, l.Layers.Loader, l.Layers.Command} {
		pkg, name, _ := layout.Split(q)
		paths[pkg] = true
		names[name] = true
		short[filepath.Base(pkg)+"."+name] = true
	}
	// The stock package's and the route registrar's package names
	// (vmplugin, kvmagent) are as telling as their paths: no literal holds
	// them at all.
	routes, _, _ := layout.Split(l.Composition.Routes.Type)
	elems := []string{stock, filepath.Base(routes)}

	bad := func(lit string) string {
		if names[lit] {
			return "names " + lit
		}
		for _, e := range elems {
			if strings.Contains(lit, e) {
				return "holds " + e
			}
		}
		for q := range short {
			if strings.Contains(lit, q) {
				return "names " + q
			}
		}
		words := strings.FieldsFunc(lit, func(r rune) bool {
			return !(r == '/' || r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		})
		for _, w := range words {
			w = strings.TrimPrefix(w, "./")
			for p := range paths {
				if w == p && !roleWords[w] || strings.HasPrefix(w, p+"/") || strings.HasPrefix(w, p+".") {
					return "names " + p
				}
			}
		}
		return ""
	}

	tools := filepath.Join("..")
	checked := 0
	err = filepath.WalkDir(tools, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(tools, p)
		rel = filepath.ToSlash(rel)
		if _, ok := allowedFiles[rel]; ok {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Errorf("%s: %v", fset.Position(lit.Pos()), err)
				return true
			}
			if _, ok := allowed[rel][s]; ok {
				return true
			}
			if why := bad(s); why != "" {
				t.Errorf("%s: a literal %s (strata.yaml says it): %.80q", fset.Position(lit.Pos()), why, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked %d files of tools/: the walk is not reading the tool", checked)
	}
}
