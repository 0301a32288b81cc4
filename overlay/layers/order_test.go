package layers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
)

// TestOrder fails on a duplicate in Order, an invalid order, and a layer
// defined in this package (a package-level layer.Layer{...} var, found by
// parsing the source) that Order does not list.
func TestOrder(t *testing.T) {
	if err := layer.ValidateOrder(layers.Order); err != nil {
		t.Fatal(err)
	}
	if c := layer.CheckDeclarations(layers.Order); len(c) != 0 {
		t.Errorf("declared writes overlap: %v", c)
	}
	names := map[string]bool{}
	for _, l := range layers.Order {
		if names[l.Name] {
			t.Errorf("layer %s listed twice in Order", l.Name)
		}
		names[l.Name] = true
		if l.Ex == nil || l.Apply == nil || len(l.Reads) == 0 || len(l.Writes) == 0 {
			t.Errorf("layer %s lacks its ex block, Apply, Reads or Writes", l.Name)
		}
		if summary, example, _ := strings.Cut(l.Doc, "\n"); summary == "" || !strings.Contains(example, `"ex":`) {
			t.Errorf("layer %s: Doc must open with a summary line, then an example ex block", l.Name)
		}
	}

	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	defined := map[string]bool{}
	var listed []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if isLayerLit(v) {
						defined[vs.Names[i].Name] = true
					}
					if vs.Names[i].Name == "Order" {
						for _, e := range v.(*ast.CompositeLit).Elts {
							listed = append(listed, e.(*ast.Ident).Name)
						}
					}
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, n := range listed {
		if seen[n] {
			t.Errorf("%s listed twice in Order", n)
		}
		seen[n] = true
	}
	for n := range defined {
		if !seen[n] {
			t.Errorf("layer %s is defined but missing from Order", n)
		}
	}
	if len(defined) < 9 {
		t.Errorf("found only %d layer definitions", len(defined))
	}
}

func isLayerLit(e ast.Expr) bool {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return false
	}
	sel, ok := cl.Type.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Layer" && sel.X.(*ast.Ident).Name == "layer"
}
