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
	fixes := len(layers.VendorFixes)
	for i, l := range layers.Order {
		if names[l.Name] {
			t.Errorf("layer %s listed twice in Order", l.Name)
		}
		names[l.Name] = true
		if i < fixes {
			// A vendor fix leads the chain and runs on every start: no ex
			// block, but it must say when it has work.
			if l.Name != layers.VendorFixes[i].Name {
				t.Errorf("Order[%d] is %s: the vendor fixes must lead the chain", i, l.Name)
			}
			if l.Ex != nil || l.Applies == nil || l.Apply == nil || len(l.Writes) == 0 {
				t.Errorf("vendor fix %s: want no ex block, and Applies, Apply and Writes", l.Name)
			}
			if summary, _, _ := strings.Cut(l.Doc, "\n"); !strings.HasPrefix(summary, "Vendor fix: ") {
				t.Errorf("vendor fix %s: Doc must open with \"Vendor fix: \"", l.Name)
			}
			continue
		}
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
					switch vs.Names[i].Name {
					case "VendorFixes":
						listed = append(listed, idents(t, v.(*ast.CompositeLit).Elts)...)
					case "Order":
						// append(slices.Clip(VendorFixes), Machine, ...)
						call, ok := v.(*ast.CallExpr)
						if !ok || len(call.Args) < 2 {
							t.Fatalf("Order is not append(slices.Clip(VendorFixes), ...)")
						}
						listed = append(listed, idents(t, call.Args[1:])...)
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

func idents(t *testing.T, es []ast.Expr) []string {
	t.Helper()
	var out []string
	for _, e := range es {
		id, ok := e.(*ast.Ident)
		if !ok {
			t.Fatalf("a layer list holds %T, not a layer's name", e)
		}
		out = append(out, id.Name)
	}
	return out
}

func isLayerLit(e ast.Expr) bool {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return false
	}
	sel, ok := cl.Type.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Layer" && sel.X.(*ast.Ident).Name == "layer"
}
