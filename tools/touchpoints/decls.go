package touchpoints

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/strataagent/strata/tools/layout"
)

// isNamed reports whether t (or *t) is the named type q of this module, q
// as the layout spells it ("upstream/agent.Setting").
func (t *Tree) isNamed(typ types.Type, q string) bool {
	relPkg, name, ok := layout.Split(q)
	if typ == nil || !ok {
		return false
	}
	if p, ok := typ.(*types.Pointer); ok {
		typ = p.Elem()
	}
	n, ok := types.Unalias(typ).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	return n.Obj().Name() == name && n.Obj().Pkg().Path() == t.Module+"/"+relPkg
}

// constString is the constant string value of e, if it has one.
func constString(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// routeCall recognises a call of the layout's route registrar's sync or
// async method and tells which.
func (t *Tree) routeCall(info *types.Info, call *ast.CallExpr) (sel *ast.SelectorExpr, async, ok bool) {
	if len(call.Args) == 0 {
		return nil, false, false
	}
	sel, ok = ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, false, false
	}
	r := t.Layout.Composition.Routes
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	if !ok || (fn.Name() != r.Sync && fn.Name() != r.Async) {
		return nil, false, false
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil || !t.isNamed(recv.Type(), r.Type) {
		return nil, false, false
	}
	return sel, fn.Name() == r.Async, true
}

// routes records calls of the route registrar (routeCall) with a constant
// path.
func (t *Tree) routes(p *packages.Package, side string) {
	if p.TypesInfo == nil {
		return
	}
	for _, f := range p.Syntax {
		if isTest(t.fset, f) {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			_, async, ok := t.routeCall(p.TypesInfo, call)
			if !ok {
				return true
			}
			path, ok := constString(p.TypesInfo, call.Args[0])
			if !ok {
				return true
			}
			r := Route{Side: side, Path: path, Async: async, Pos: t.pos(call.Pos())}
			if side == Overlay {
				if w := t.upstreamConstIn(p.TypesInfo, call.Args[0]); w != path {
					r.Wraps = w
				}
			}
			t.Routes = append(t.Routes, r)
			return true
		})
	}
}

// upstreamConstIn is the value of an upstream string constant named in a
// path expression (ExPrefix + hostplugin.PingPath), or "".
func (t *Tree) upstreamConstIn(info *types.Info, e ast.Expr) string {
	found := ""
	ast.Inspect(e, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || found != "" {
			return found == ""
		}
		c, ok := info.Uses[id].(*types.Const)
		if ok && t.upstreamObj(c) && c.Val().Kind() == constant.String {
			found = constant.StringVal(c.Val())
		}
		return true
	})
	return found
}

// wrapsBySuffix gives an overlay route whose path names no upstream
// constant (ExPrefix + "/vm/start") the longest upstream route its path
// ends with, so /ex/X is judged against upstream's /X either way.
func (t *Tree) wrapsBySuffix() {
	var up []string
	for _, r := range t.Routes {
		if r.Side == Upstream {
			up = append(up, r.Path)
		}
	}
	for i := range t.Routes {
		r := &t.Routes[i]
		if r.Side != Overlay || r.Wraps != "" {
			continue
		}
		for _, u := range up {
			if u != r.Path && strings.HasPrefix(u, "/") && strings.HasSuffix(r.Path, u) && len(u) > len(r.Wraps) {
				r.Wraps = u
			}
		}
	}
}

// routeFingerprint is Fingerprint of fd with each route registration read
// as one call of the same name with path and handler only, so a body that
// changed only in sync/async or route options hashes the same; hash is
// returned as is when fd registers no route. The AST is restored.
func (t *Tree) routeFingerprint(info *types.Info, fd *ast.FuncDecl, hash string) string {
	type saved struct {
		sel  *ast.SelectorExpr
		name string
		call *ast.CallExpr
		args []ast.Expr
	}
	var undo []saved
	ast.Inspect(fd, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, _, ok := t.routeCall(info, call)
		if !ok {
			return true
		}
		undo = append(undo, saved{sel, sel.Sel.Name, call, call.Args})
		return true
	})
	if len(undo) == 0 {
		return hash
	}
	for _, u := range undo {
		u.sel.Sel.Name = "RegisterURI"
		u.call.Args = u.args[:min(len(u.args), 2)]
	}
	h := Fingerprint(fd)
	for _, u := range undo {
		u.sel.Sel.Name, u.call.Args = u.name, u.args
	}
	return h
}

// field returns the expression given for the named field of a struct
// composite literal, keyed or positional.
func field(info *types.Info, lit *ast.CompositeLit, name string) ast.Expr {
	st, ok := info.Types[lit].Type.Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	for i, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
				return kv.Value
			}
			continue
		}
		if i < st.NumFields() && st.Field(i).Name() == name {
			return el
		}
	}
	return nil
}

// settings records composite literals of the layout's settings type.
func (t *Tree) settings(p *packages.Package, side string) {
	if p.TypesInfo == nil {
		return
	}
	for _, f := range p.Syntax {
		if isTest(t.fset, f) {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			tv, ok := p.TypesInfo.Types[lit]
			if !ok || !t.isNamed(tv.Type, t.Layout.Composition.Settings) {
				return true
			}
			key, ok := constString(p.TypesInfo, field(p.TypesInfo, lit, "Key"))
			if !ok {
				return true
			}
			typ := "none"
			if d := field(p.TypesInfo, lit, "Default"); d != nil {
				if dt := p.TypesInfo.Types[d].Type; dt != nil {
					typ = types.TypeString(types.Default(dt), t.qualifier)
				}
			}
			t.Settings = append(t.Settings, Setting{Side: side, Key: key, Type: typ, Pos: t.pos(lit.Pos())})
			return false
		})
	}
}

// koanfRead recognises k.String("x.y") and the other getters of
// *koanf.Koanf called with a constant key.
func (t *Tree) koanfRead(info *types.Info, call *ast.CallExpr) (string, bool) {
	if len(call.Args) == 0 {
		return "", false
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	if !ok {
		return "", false
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return "", false
	}
	rt := recv.Type()
	if p, ok := rt.(*types.Pointer); ok {
		rt = p.Elem()
	}
	n, ok := types.Unalias(rt).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "github.com/knadh/koanf/v2" || n.Obj().Name() != "Koanf" {
		return "", false
	}
	switch fn.Name() {
	case "Load", "Set", "Delete", "Unmarshal", "UnmarshalWithConf", "Merge", "MergeAt", "Cut", "Copy":
		return "", false
	}
	return constString(info, call.Args[0])
}

// layers records the Writes of package-level vars of the layout's layer
// type initialised with a composite literal.
func (t *Tree) layers(p *packages.Package) {
	for _, f := range p.Syntax {
		if isTest(t.fset, f) {
			continue
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				vs, ok := s.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for _, v := range vs.Values {
					if u, ok := v.(*ast.UnaryExpr); ok {
						v = u.X
					}
					lit, ok := v.(*ast.CompositeLit)
					if !ok || !t.isNamed(p.TypesInfo.Types[lit].Type, t.Layout.Composition.Layer) {
						continue
					}
					name, _ := constString(p.TypesInfo, field(p.TypesInfo, lit, "Name"))
					w, ok := field(p.TypesInfo, lit, "Writes").(*ast.CompositeLit)
					if !ok {
						continue
					}
					for _, el := range w.Elts {
						if path, ok := constString(p.TypesInfo, el); ok {
							t.Writes = append(t.Writes, LayerWrite{Layer: name, Path: path, Pos: t.pos(el.Pos())})
						}
					}
				}
			}
		}
	}
}

// isTest reports whether a syntax tree is a _test.go file.
func isTest(fset *token.FileSet, f *ast.File) bool {
	return strings.HasSuffix(fset.File(f.Pos()).Name(), "_test.go")
}
