// Package touchpoints loads a tree (the repository root, or a temporary
// copy with a release swapped in) with go/packages and go/types and lists
// what the overlay folders touch on upstream (both as the tree's strata.yaml
// names them, see tools/layout), plus the
// upstream model the passes compare between releases: every object with its
// type, every function's normalised body hash, routes and settings.
//
// A tree that does not build is still loaded: type errors are kept (Errors)
// and the passes read them, since a release that breaks the overlay is the
// case the tool exists for.
package touchpoints

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"

	"github.com/strataagent/strata/tools/layout"
)

// Pos is a position relative to the tree's root.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Object is one upstream object: a package-level name, a method or a field.
type Object struct {
	Symbol string // upstream/<pkg>.<Name>, .(*T).M, .T.M, .T.Field
	Kind   string // func, method, type, field, const, var
	Type   string // its type, package-qualified relative to the module
	Pos    Pos
	Hash   string // functions and methods: Fingerprint of the declaration
	// RouteHash is Hash with every route registration read as
	// "register(path, handler)": equal RouteHashes under different Hashes
	// mean the body changed only in sync/async or route options, which
	// route-change judges, not behavior-change.
	RouteHash string
	Source    string // functions and methods: the declaration as written (no doc)
	// Refs are the upstream functions, concrete methods and package-level
	// variables this function's body (or this variable's initializer)
	// names, called or handed on as values: upstream's static call graph,
	// with a table of steps (a var listing functions) as a node between the
	// function reading it and the steps.
	Refs []string
	Obj  types.Object
}

// Use is one reference of the overlay to an upstream object.
type Use struct {
	Symbol string
	Kind   string
	// Call: the reference is the callee of a call, or a function or
	// method value the overlay hands on (a handler it registers): either
	// way the body runs on the overlay's behalf.
	Call bool
	Pos  Pos
}

// Embed is an overlay struct embedding an upstream type.
type Embed struct {
	Overlay string // the overlay type, module-relative: overlay/x.T
	Symbol  string // the upstream type
	Pos     Pos
}

// Override is an overlay method shadowing a method promoted from an
// embedded upstream type.
type Override struct {
	Overlay string // overlay/x.(*T).M
	Symbol  string // the upstream method it overrides
	Pos     Pos
}

// Shadow is an exported member (method or field) an overlay type declares
// under the name of a member its embedded upstream type has: the overlay's
// wins on the overlay type, upstream's still answers on the embedded value.
type Shadow struct {
	Overlay string // the overlay type, overlay/x.T
	Name    string
	Member  string // the overlay's member: overlay/x.(*T).M or overlay/x.T.F
	Symbol  string // the upstream member it shadows
	Embed   string // the embedded upstream type it is promoted from
	Pos     Pos    // the overlay's member
}

// Promotion is what a selector x.Name on an overlay type embedding an
// upstream type reaches when the overlay does not declare Name itself.
type Promotion struct {
	Overlay string
	Name    string
	Symbol  string // the member reached; "" when the selector is ambiguous
	Pos     Pos    // the embedded field it comes through (the first one)
}

// Stamp is a stamped copy.
type Stamp struct {
	Overlay     string // the copy, overlay/x.Name
	Symbol      string // the upstream original
	Fingerprint string
	Pos         Pos // the copy's name in its declaration
	File        string
	// Start is the byte offset of the copy's doc comment in File, Decl of
	// its func keyword, End of its end, for refresh.
	Start, Decl, End int
}

// Route is one registration of a path with the route registrar.
type Route struct {
	Side  string // Upstream or Overlay
	Path  string
	Async bool
	Pos   Pos
	// Wraps is, for an overlay route under its own path, the stock path it
	// serves again ("/ex/host/ping" wraps "/host/ping"): an upstream
	// constant in the path expression, else the longest upstream route the
	// path ends with. Empty when it wraps none or is the stock path itself.
	Wraps string
}

// Setting is one agent.Setting literal.
type Setting struct {
	Side string
	Key  string
	Type string // type of Default
	Pos  Pos
}

// Read is the overlay reading a settings key with a koanf getter.
type Read struct {
	Key string
	Pos Pos
}

// LayerWrite is one declared domain path of a patch layer.
type LayerWrite struct {
	Layer string
	Path  string
	Pos   Pos
}

// TypeError is a type-checking error in an overlay package.
type TypeError struct {
	Pos Pos
	Msg string
}

// Tree is a loaded tree.
type Tree struct {
	Root   string
	Module string
	// Layout is the tree's strata.yaml: which folders are upstream and
	// overlay, and the composition types recognised.
	Layout *layout.Layout

	Objects  map[string]*Object // upstream objects by symbol
	Packages map[string]*types.Package
	// LoadErrors are errors of upstream packages (the release itself).
	LoadErrors []TypeError

	Uses      []Use
	Embeds    []Embed
	Overrides []Override
	Shadows   []Shadow
	// Promotions are the exported names promoted into overlay types that
	// embed upstream types, by overlay type and name.
	Promotions []Promotion
	Stamps     []Stamp
	Routes     []Route
	Settings   []Setting
	Reads      []Read
	Writes     []LayerWrite
	Errors     []TypeError // overlay packages against this tree's upstream

	fset *token.FileSet
}

// Load loads the tree at root.
func Load(root string) (*Tree, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	module := modfile.ModulePath(gomod)
	if module == "" {
		return nil, fmt.Errorf("load %s: go.mod names no module", root)
	}
	lay, err := layout.Load(root)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	patterns := []string{}
	for _, d := range append([]string{lay.Upstream.Dir}, lay.Overlay...) {
		if st, err := os.Stat(filepath.Join(root, d)); err == nil && st.IsDir() {
			patterns = append(patterns, "./"+d+"/...")
		}
	}
	fset := token.NewFileSet()
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports,
		Dir:  root,
		Fset: fset,
		Env:  append(os.Environ(), "GOWORK=off"),
		// A release is loaded from a fresh temporary copy each time; without
		// -trimpath the directory is part of every build-cache key and the
		// export data of the whole tree is recompiled.
		BuildFlags: []string{"-trimpath"},
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	t := &Tree{Root: root, Module: module, Layout: lay, Objects: map[string]*Object{}, Packages: map[string]*types.Package{}, fset: fset}
	var up, ov []*packages.Package
	for _, p := range pkgs {
		switch t.side(p.PkgPath) {
		case Upstream:
			up = append(up, p)
		case Overlay:
			ov = append(ov, p)
		}
	}
	for _, p := range up {
		t.indexUpstream(p)
		t.routes(p, Upstream)
		t.settings(p, Upstream)
		for _, e := range p.Errors {
			if !compileEcho(e) {
				t.LoadErrors = append(t.LoadErrors, t.pkgError(e))
			}
		}
	}
	for _, p := range ov {
		t.overlay(p)
		t.routes(p, Overlay)
		t.settings(p, Overlay)
		for _, e := range p.Errors {
			if !compileEcho(e) {
				t.Errors = append(t.Errors, t.pkgError(e))
			}
		}
	}
	t.wrapsBySuffix()
	t.sort()
	return t, nil
}

// The sides' labels, role names in findings and lock lines (the folders
// behind them are the layout's).
const (
	Upstream = "upstream"
	Overlay  = "overlay"
)

// side tells which side a package path is on: Upstream, Overlay or "".
func (t *Tree) side(path string) string {
	rel, ok := strings.CutPrefix(path, t.Module+"/")
	if !ok {
		return ""
	}
	switch {
	case t.Layout.IsUpstream(rel):
		return Upstream
	case t.Layout.IsOverlay(rel):
		return Overlay
	}
	return ""
}

func (t *Tree) rel(path string) string { return strings.TrimPrefix(path, t.Module+"/") }

func (t *Tree) pos(p token.Pos) Pos {
	if !p.IsValid() {
		return Pos{}
	}
	pp := t.fset.Position(p)
	f := pp.Filename
	if r, err := filepath.Rel(t.Root, f); err == nil && !strings.HasPrefix(r, "..") {
		f = filepath.ToSlash(r)
	}
	return Pos{File: f, Line: pp.Line}
}

// compileEcho reports go list's echo of the compiler ("# pkg\n..."), which
// repeats the type errors go/packages reports with their positions.
func compileEcho(e packages.Error) bool {
	return e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ")
}

func (t *Tree) pkgError(e packages.Error) TypeError {
	te := TypeError{Msg: e.Msg}
	// e.Pos is "file:line:col" or "file:line" or "-".
	parts := strings.Split(e.Pos, ":")
	if len(parts) >= 2 {
		f := parts[0]
		if r, err := filepath.Rel(t.Root, f); err == nil && !strings.HasPrefix(r, "..") {
			f = filepath.ToSlash(r)
		}
		var line int
		fmt.Sscanf(parts[1], "%d", &line)
		te.Pos = Pos{File: f, Line: line}
	}
	return te
}

// Symbol names an upstream (or overlay) object the way findings do:
// upstream/<pkg>.<Name>, upstream/<pkg>.(*T).M, upstream/<pkg>.T.M,
// upstream/<pkg>.T.Field. Fields need their owner, so it is a Tree method.
func (t *Tree) Symbol(obj types.Object) string {
	if obj == nil || obj.Pkg() == nil {
		return ""
	}
	pkg := t.rel(obj.Pkg().Path())
	switch o := obj.(type) {
	case *types.Func:
		if sig, ok := o.Type().(*types.Signature); ok && sig.Recv() != nil {
			rt := sig.Recv().Type()
			ptr := false
			if p, ok := rt.(*types.Pointer); ok {
				rt, ptr = p.Elem(), true
			}
			name := ""
			switch n := types.Unalias(rt).(type) {
			case *types.Named:
				name = n.Obj().Name()
			case *types.Interface:
				name = t.ownerOfInterfaceMethod(o)
			}
			if ptr {
				return fmt.Sprintf("%s.(*%s).%s", pkg, name, o.Name())
			}
			return fmt.Sprintf("%s.%s.%s", pkg, name, o.Name())
		}
	case *types.Var:
		if o.IsField() {
			if owner := t.fieldOwner(o); owner != "" {
				return fmt.Sprintf("%s.%s.%s", pkg, owner, o.Name())
			}
			return fmt.Sprintf("%s.?.%s", pkg, o.Name())
		}
	}
	return pkg + "." + obj.Name()
}

// fieldOwner finds the named struct type declaring field f in f's package.
func (t *Tree) fieldOwner(f *types.Var) string {
	scope := f.Pkg().Scope()
	for _, n := range scope.Names() {
		tn, ok := scope.Lookup(n).(*types.TypeName)
		if !ok {
			continue
		}
		if st, ok := tn.Type().Underlying().(*types.Struct); ok {
			for i := range st.NumFields() {
				if st.Field(i) == f {
					return n
				}
			}
		}
	}
	return ""
}

func (t *Tree) ownerOfInterfaceMethod(m *types.Func) string {
	scope := m.Pkg().Scope()
	for _, n := range scope.Names() {
		tn, ok := scope.Lookup(n).(*types.TypeName)
		if !ok {
			continue
		}
		if it, ok := tn.Type().Underlying().(*types.Interface); ok {
			for i := range it.NumExplicitMethods() {
				if it.ExplicitMethod(i) == m {
					return n
				}
			}
		}
	}
	return "?"
}

// qualifier prints packages module-relative.
func (t *Tree) qualifier(p *types.Package) string {
	if rel, ok := strings.CutPrefix(p.Path(), t.Module+"/"); ok {
		return rel
	}
	return p.Path()
}

// TypeString is the type of obj, packages module-relative, so the same type
// in two trees prints the same.
// A type name's is its underlying type, so a struct losing a field or an
// interface gaining a method changes it.
func (t *Tree) TypeString(obj types.Object) string {
	if tn, ok := obj.(*types.TypeName); ok {
		return types.TypeString(tn.Type().Underlying(), t.qualifier)
	}
	return types.TypeString(obj.Type(), t.qualifier)
}

func kindOf(obj types.Object) string {
	switch o := obj.(type) {
	case *types.Func:
		if o.Type().(*types.Signature).Recv() != nil {
			return "method"
		}
		return "func"
	case *types.TypeName:
		return "type"
	case *types.Const:
		return "const"
	case *types.Var:
		if o.IsField() {
			return "field"
		}
		return "var"
	}
	return "other"
}

func (t *Tree) addObject(obj types.Object) *Object {
	sym := t.Symbol(obj)
	if o, ok := t.Objects[sym]; ok {
		return o
	}
	o := &Object{Symbol: sym, Kind: kindOf(obj), Type: t.TypeString(obj), Pos: t.pos(obj.Pos()), Obj: obj}
	t.Objects[sym] = o
	return o
}

// indexUpstream records every object of an upstream package: package-level
// names, fields and methods of its named types, and the normalised hash of
// every function declaration.
func (t *Tree) indexUpstream(p *packages.Package) {
	if p.Types == nil {
		return
	}
	t.Packages[p.PkgPath] = p.Types
	scope := p.Types.Scope()
	for _, n := range scope.Names() {
		obj := scope.Lookup(n)
		t.addObject(obj)
		tn, ok := obj.(*types.TypeName)
		if !ok {
			continue
		}
		if named, ok := types.Unalias(tn.Type()).(*types.Named); ok {
			for i := range named.NumMethods() {
				t.addObject(named.Method(i))
			}
		}
		switch u := tn.Type().Underlying().(type) {
		case *types.Struct:
			for i := range u.NumFields() {
				t.addObject(u.Field(i))
			}
		case *types.Interface:
			for i := range u.NumExplicitMethods() {
				t.addObject(u.ExplicitMethod(i))
			}
		}
	}
	for _, f := range p.Syntax {
		if isTest(t.fset, f) {
			continue
		}
		src, _ := os.ReadFile(t.fset.File(f.Pos()).Name())
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			obj := p.TypesInfo.Defs[fd.Name]
			if obj == nil {
				continue
			}
			o := t.addObject(obj)
			o.Hash = Fingerprint(fd)
			o.RouteHash = t.routeFingerprint(p.TypesInfo, fd, o.Hash)
			o.Source = declSource(t.fset, src, fd)
			if fd.Body != nil {
				o.Refs = t.refs(p.TypesInfo, fd.Body)
			}
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for _, name := range vs.Names {
					if obj := p.TypesInfo.Defs[name]; obj != nil && len(vs.Values) > 0 {
						o := t.addObject(obj)
						for _, v := range vs.Values {
							o.Refs = append(o.Refs, t.refs(p.TypesInfo, v)...)
						}
						slices.Sort(o.Refs)
						o.Refs = slices.Compact(o.Refs)
					}
				}
			}
		}
	}
}

// refs lists, sorted and once each, the upstream functions, concrete
// methods and package-level variables that n names. An interface method
// has no body to follow, so calls through interfaces are not edges (as in
// go/callgraph/static).
func (t *Tree) refs(info *types.Info, n ast.Node) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		obj := info.Uses[id]
		if !t.upstreamObj(obj) {
			return true
		}
		switch o := obj.(type) {
		case *types.Func:
			o = o.Origin()
			if sig := o.Type().(*types.Signature); sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
				return true
			}
			out = append(out, t.Symbol(o))
		case *types.Var:
			if o.Parent() == o.Pkg().Scope() {
				out = append(out, t.Symbol(o))
			}
		}
		return true
	})
	slices.Sort(out)
	return slices.Compact(out)
}

// declSource is the declaration's text as written, without its doc comment.
func declSource(fset *token.FileSet, src []byte, fd *ast.FuncDecl) string {
	tf := fset.File(fd.Pos())
	start, end := tf.Offset(fd.Pos()), tf.Offset(fd.End())
	if start < 0 || end > len(src) || start > end {
		return ""
	}
	return string(src[start:end])
}

// upstreamObj reports whether obj belongs to an upstream package.
func (t *Tree) upstreamObj(obj types.Object) bool {
	return obj != nil && obj.Pkg() != nil && t.side(obj.Pkg().Path()) == Upstream
}

// overlay collects an overlay package's touch points.
func (t *Tree) overlay(p *packages.Package) {
	if p.TypesInfo == nil {
		return
	}
	info := p.TypesInfo
	for _, f := range p.Syntax {
		if isTest(t.fset, f) {
			continue
		}
		callees := map[*ast.Ident]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := ast.Unparen(call.Fun).(type) {
			case *ast.Ident:
				callees[fn] = true
			case *ast.SelectorExpr:
				callees[fn.Sel] = true
			case *ast.IndexExpr: // generic instantiation
				if id, ok := fn.X.(*ast.Ident); ok {
					callees[id] = true
				}
			}
			if key, ok := t.koanfRead(info, call); ok {
				t.Reads = append(t.Reads, Read{Key: key, Pos: t.pos(call.Pos())})
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			obj := info.Uses[id]
			if _, isPkg := obj.(*types.PkgName); isPkg || !t.upstreamObj(obj) {
				return true
			}
			// Instantiated generic objects point at their origin.
			switch o := obj.(type) {
			case *types.Func:
				obj = o.Origin()
			case *types.Var:
				obj = o.Origin()
			}
			t.addObject(obj)
			_, isFunc := obj.(*types.Func)
			t.Uses = append(t.Uses, Use{Symbol: t.Symbol(obj), Kind: kindOf(obj), Call: callees[id] || isFunc, Pos: t.pos(id.Pos())})
			return true
		})
		t.stamps(p, f)
	}
	t.embedsAndOverrides(p)
	t.selections(p)
	t.layers(p)
}

// namedStruct is a package-level struct type.
type namedStruct struct {
	name  string
	named *types.Named
	st    *types.Struct
}

// structsOf lists p's package-level struct types in name order.
func structsOf(p *packages.Package) []namedStruct {
	var out []namedStruct
	scope := p.Types.Scope()
	for _, n := range scope.Names() {
		tn, ok := scope.Lookup(n).(*types.TypeName)
		if !ok {
			continue
		}
		named, ok := types.Unalias(tn.Type()).(*types.Named)
		if !ok {
			continue
		}
		if st, ok := named.Underlying().(*types.Struct); ok {
			out = append(out, namedStruct{n, named, st})
		}
	}
	return out
}

// embedsAndOverrides finds overlay structs embedding upstream types and the
// overlay methods that shadow a promoted upstream method.
func (t *Tree) embedsAndOverrides(p *packages.Package) {
	for _, ns := range structsOf(p) {
		n, named, st := ns.name, ns.named, ns.st
		for i := range st.NumFields() {
			f := st.Field(i)
			if !f.Embedded() {
				continue
			}
			et := f.Type()
			if ptr, ok := et.(*types.Pointer); ok {
				et = ptr.Elem()
			}
			en, ok := types.Unalias(et).(*types.Named)
			if !ok || !t.upstreamObj(en.Obj()) {
				continue
			}
			t.addObject(en.Obj())
			t.Embeds = append(t.Embeds, Embed{Overlay: t.rel(p.PkgPath) + "." + n, Symbol: t.Symbol(en.Obj()), Pos: t.pos(f.Pos())})
			promoted := types.NewMethodSet(types.NewPointer(en))
			for j := range named.NumMethods() {
				m := named.Method(j)
				sel := promoted.Lookup(m.Pkg(), m.Name())
				if sel == nil {
					// Unexported upstream methods cannot be overridden from
					// another package; exported names are package-independent.
					sel = promoted.Lookup(nil, m.Name())
				}
				if sel == nil {
					continue
				}
				um := sel.Obj()
				t.addObject(um)
				t.Overrides = append(t.Overrides, Override{Overlay: t.Symbol(m), Symbol: t.Symbol(um), Pos: t.pos(m.Pos())})
			}
		}
	}
}

// selections records, for each overlay struct type embedding an upstream
// type, the exported members it declares under a name the embedded type
// also has (Shadows) and what every other exported name promoted into it
// resolves to (Promotions), so a release adding a member the overlay
// shadows, or changing where a promoted name comes from, shows as a
// difference between the trees.
func (t *Tree) selections(p *packages.Package) {
	for _, ns := range structsOf(p) {
		n, named, st := ns.name, ns.named, ns.st
		var embeds []*types.Var
		for i := range st.NumFields() {
			if f := st.Field(i); f.Embedded() && t.upstreamObj(namedOf(f.Type())) {
				embeds = append(embeds, f)
			}
		}
		if len(embeds) == 0 {
			continue
		}
		ov := t.rel(p.PkgPath) + "." + n
		own := map[string]types.Object{}
		for i := range st.NumFields() {
			if f := st.Field(i); f.Exported() {
				own[f.Name()] = f
			}
		}
		for i := range named.NumMethods() {
			if m := named.Method(i); m.Exported() {
				own[m.Name()] = m
			}
		}
		for _, e := range embeds {
			for name, m := range own {
				if m == types.Object(e) {
					continue
				}
				obj, _, _ := types.LookupFieldOrMethod(addressable(e.Type()), true, p.Types, name)
				if obj == nil || !t.upstreamObj(obj) {
					continue
				}
				t.Shadows = append(t.Shadows, Shadow{Overlay: ov, Name: name, Member: t.Symbol(m), Symbol: t.Symbol(obj), Embed: t.Symbol(namedOf(e.Type())), Pos: t.pos(m.Pos())})
			}
		}
		names := map[string]bool{}
		for _, e := range embeds {
			memberNames(e.Type(), names, map[*types.Named]bool{})
		}
		ptr := types.NewPointer(named)
		for _, name := range slices.Sorted(maps.Keys(names)) {
			if own[name] != nil {
				continue
			}
			obj, index, _ := types.LookupFieldOrMethod(ptr, true, p.Types, name)
			if obj == nil && index == nil {
				continue
			}
			pr := Promotion{Overlay: ov, Name: name}
			if obj != nil {
				pr.Symbol = t.Symbol(obj)
			}
			if obj != nil && len(index) > 0 {
				pr.Pos = t.pos(st.Field(index[0]).Pos())
			} else {
				pr.Pos = t.pos(embeds[0].Pos())
			}
			t.Promotions = append(t.Promotions, pr)
		}
	}
}

// addressable is *T for T, and a pointer type itself, so a lookup sees the
// whole method set.
func addressable(typ types.Type) types.Type {
	if _, ok := typ.(*types.Pointer); ok {
		return typ
	}
	return types.NewPointer(typ)
}

// namedOf is the named type of T or *T, as a type name, or nil.
func namedOf(typ types.Type) *types.TypeName {
	if ptr, ok := typ.(*types.Pointer); ok {
		typ = ptr.Elem()
	}
	if n, ok := types.Unalias(typ).(*types.Named); ok {
		return n.Obj()
	}
	return nil
}

// memberNames adds the exported field and method names of typ and of
// everything it embeds.
func memberNames(typ types.Type, names map[string]bool, seen map[*types.Named]bool) {
	if ptr, ok := typ.(*types.Pointer); ok {
		typ = ptr.Elem()
	}
	n, ok := types.Unalias(typ).(*types.Named)
	if ok {
		if seen[n] {
			return
		}
		seen[n] = true
		ms := types.NewMethodSet(types.NewPointer(n))
		for i := range ms.Len() {
			if m := ms.At(i).Obj(); m.Exported() {
				names[m.Name()] = true
			}
		}
	}
	switch u := typ.Underlying().(type) {
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			if f.Exported() {
				names[f.Name()] = true
			}
			if f.Embedded() {
				memberNames(f.Type(), names, seen)
			}
		}
	case *types.Interface:
		for i := range u.NumMethods() {
			if m := u.Method(i); m.Exported() {
				names[m.Name()] = true
			}
		}
	}
}

// StampDirective opens a stamp line.
const StampDirective = "//strata:copy "

// stamps reads the //strata:copy lines of a file's function declarations.
func (t *Tree) stamps(p *packages.Package, f *ast.File) {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Doc == nil {
			continue
		}
		for _, c := range fd.Doc.List {
			rest, ok := strings.CutPrefix(c.Text, StampDirective)
			if !ok {
				continue
			}
			fields := strings.Fields(rest)
			if len(fields) != 2 {
				continue
			}
			tf := t.fset.File(fd.Pos())
			obj := p.TypesInfo.Defs[fd.Name]
			ov := ""
			if obj != nil {
				ov = t.Symbol(obj)
			}
			t.Stamps = append(t.Stamps, Stamp{
				Overlay: ov, Symbol: fields[0], Fingerprint: fields[1],
				Pos: t.pos(fd.Name.Pos()), File: tf.Name(),
				Start: tf.Offset(fd.Doc.Pos()), Decl: tf.Offset(fd.Pos()), End: tf.Offset(fd.End()),
			})
		}
	}
}

func (t *Tree) sort() {
	sort.SliceStable(t.Uses, func(i, j int) bool { return lessPos(t.Uses[i].Pos, t.Uses[j].Pos) })
	sort.SliceStable(t.Errors, func(i, j int) bool { return lessPos(t.Errors[i].Pos, t.Errors[j].Pos) })
}

func lessPos(a, b Pos) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Line < b.Line
}

// Object returns the upstream object named sym, or nil.
func (t *Tree) Object(sym string) *Object { return t.Objects[sym] }

// IsUpstream reports whether a symbol names an upstream object.
func (t *Tree) IsUpstream(sym string) bool { return t.Layout.IsUpstream(sym) }
