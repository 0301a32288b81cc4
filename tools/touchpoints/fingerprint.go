package touchpoints

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"reflect"
)

var posType = reflect.TypeFor[token.Pos]()

// Normalize prints a function declaration without its doc comment, its
// comments or its layout: printed once, re-parsed, every position cleared,
// printed again. Two declarations that differ only in formatting or
// comments normalise to the same text.
func Normalize(fd *ast.FuncDecl) string {
	cp := *fd
	cp.Doc = nil
	var first bytes.Buffer
	if err := printer.Fprint(&first, token.NewFileSet(), &cp); err != nil {
		return ""
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+first.String(), parser.SkipObjectResolution)
	if err != nil || len(f.Decls) != 1 {
		// Printing a parsed declaration always re-parses; keep the first
		// form rather than fail.
		return first.String()
	}
	clearPos(reflect.ValueOf(f.Decls[0]))
	var out bytes.Buffer
	if err := printer.Fprint(&out, token.NewFileSet(), f.Decls[0]); err != nil {
		return first.String()
	}
	return out.String()
}

// Fingerprint is "h1:" + base64 SHA-256 of Normalize(fd).
func Fingerprint(fd *ast.FuncDecl) string { return Hash(Normalize(fd)) }

// Hash is "h1:" + base64 SHA-256 of s.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}

// clearPos sets every token.Pos reachable from v to zero.
func clearPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPos(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if f.Type() == posType {
				if f.CanSet() {
					f.SetInt(0)
				}
				continue
			}
			if v.Type().Field(i).Name == "Obj" || v.Type().Field(i).Name == "Scope" {
				continue // resolution data, cyclic
			}
			clearPos(f)
		}
	case reflect.Slice:
		for i := range v.Len() {
			clearPos(v.Index(i))
		}
	}
}

// FingerprintSource fingerprints a declaration given as source text (a
// recorded original), as Fingerprint does a parsed one.
func FingerprintSource(src string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+src, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			return Fingerprint(fd), nil
		}
	}
	return "", errors.New("no function declaration")
}
