// Package stockxml renders the stock start-command corpus under a release
// and reads it at the domain paths layers declare. The tool never links a
// release: Render writes a small harness program (what it calls comes from
// the tree's strata.yaml) to a temporary directory and runs it with
// `go run` from the tree's root, so the harness builds against that tree's
// upstream and a release that does not build is an error the caller
// reports, not a crash.
package stockxml

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/beevik/etree"
)

// Case is one corpus command rendered: its XML, or the error of the stage
// that refused it.
type Case struct {
	XML   string `json:"xml,omitempty"`
	Error string `json:"error,omitempty"`
	// Stage is where a refused command stopped: "decode", "validate",
	// "build" or "marshal".
	Stage string `json:"stage,omitempty"`
}

// Refused reports whether the release did not render the case.
func (c Case) Refused() bool { return c.Error != "" }

// Corpus maps a corpus case name (the JSON file's base name) to its render.
type Corpus map[string]Case

// harness is built against the tree; it uses only the stock package's
// build function, command, config and host types (strata.yaml's stock
// keys), and the command's stock validation (the first of stock.validate
// the command has, its arguments matched by type) found by reflection, so
// it builds against a release that has none.
const harness = `package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	stock "{{.Import .Stock.Package}}"
)

type result struct {
	XML   string ` + "`json:\"xml,omitempty\"`" + `
	Error string ` + "`json:\"error,omitempty\"`" + `
	Stage string ` + "`json:\"stage,omitempty\"`" + `
}

// validate runs the command's stock validation, as a start does before it
// builds: the first method named that the command has and whose parameters
// the context, the config and the host can fill.
func validate(ctx context.Context, cmd *stock.{{.Stock.Command}}, cfg stock.{{.Stock.Config}}) error {
	v := reflect.ValueOf(cmd)
	have := []reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(cfg), reflect.ValueOf(stock.{{.Stock.Host}}{})}
	for _, name := range []string{ {{- range .Stock.Validate}}{{printf "%q" .}}, {{end -}} } {
		m := v.MethodByName(name)
		if !m.IsValid() {
			continue
		}
		var args []reflect.Value
		for i := 0; i < m.Type().NumIn(); i++ {
			for _, h := range have {
				if h.Type().AssignableTo(m.Type().In(i)) {
					args = append(args, h)
					break
				}
			}
		}
		if len(args) != m.Type().NumIn() {
			continue
		}
		if outs := m.Call(args); len(outs) == 1 {
			if err, ok := outs[0].Interface().(error); ok {
				return err
			}
		}
		return nil
	}
	return nil
}

func main() {
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	if err != nil {
		panic(err)
	}
	out := map[string]result{}
	for _, f := range files {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		cfg := struct {
			DomainType string ` + "`json:\"domainType\"`" + `
			Arch       string ` + "`json:\"arch\"`" + `
		}{"kvm", "x86_64"}
		if b, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".config.json"); err == nil {
			if err := json.Unmarshal(b, &cfg); err != nil {
				out[name] = result{Error: err.Error(), Stage: "decode"}
				continue
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		cmd := &stock.{{.Stock.Command}}{}
		if err := json.Unmarshal(b, cmd); err != nil {
			out[name] = result{Error: err.Error(), Stage: "decode"}
			continue
		}
		bc := stock.{{.Stock.Config}}{DomainType: cfg.DomainType, Arch: cfg.Arch}
		if err := validate(context.Background(), cmd, bc); err != nil {
			out[name] = result{Error: err.Error(), Stage: "validate"}
			continue
		}
		dom, err := stock.{{.Stock.Build}}(context.Background(), cmd, bc, stock.{{.Stock.Host}}{})
		if err != nil {
			out[name] = result{Error: err.Error(), Stage: "build"}
			continue
		}
		x, err := dom.Marshal()
		if err != nil {
			out[name] = result{Error: err.Error(), Stage: "marshal"}
			continue
		}
		out[name] = result{XML: x}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
`

// Render builds the harness against the tree at root and renders every
// command of corpusDir (the old release's corpus, or the union of both,
// so both releases see the same input).
func Render(ctx context.Context, root, corpusDir string) (Corpus, error) {
	h, err := newHarness("stock xml harness", harness, root)
	if err != nil {
		return nil, err
	}
	defer h.close()
	absCorpus, err := filepath.Abs(corpusDir)
	if err != nil {
		return nil, fmt.Errorf("stock xml harness: %w", err)
	}
	out, err := h.run(ctx, root, nil, absCorpus)
	if err != nil {
		return nil, err
	}
	var c Corpus
	if err := json.Unmarshal(out, &c); err != nil {
		return nil, fmt.Errorf("stock xml harness output: %w", err)
	}
	return c, nil
}

// RenderTree renders the tree's own corpus (every folder of its layout's
// stock.corpus) under the tree.
func RenderTree(ctx context.Context, root string) (Corpus, error) {
	dir, err := UnionCorpus(root)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	return Render(ctx, root, dir)
}

// Namespaces maps the namespaces a domain carries to the one prefix a path
// spells them with, whatever prefix or default xmlns the serializer used
// (libvirtxml writes <commandline xmlns="http://libvirt.org/schemas/domain/qemu/1.0">,
// a path says /domain/qemu:commandline). The tool links no overlay, so
// this is its own copy of overlay/provenance.Prefixes; a namespace not
// listed takes the prefix the document itself declares for it.
var Namespaces = map[string]string{
	"http://libvirt.org/schemas/domain/qemu/1.0": "qemu",
	"https://strata.dev/xmlns/1":                 "strata",
	"http://zstack.org":                          "zs",
}

// Canonical parses a rendered domain and rewrites every namespaced element
// and attribute to its canonical prefix, dropping the xmlns declarations,
// so the prefix form and the default-xmlns form of one document serialise
// alike and match one path.
func Canonical(x string) (*etree.Document, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil {
		return nil, fmt.Errorf("parse stock xml: %w", err)
	}
	root := doc.Root()
	if root == nil {
		return doc, nil
	}
	declared := map[string]string{} // namespace -> a prefix the document declares
	type rename struct {
		e     *etree.Element
		space string
		attrs []string // new Space per attribute, "\x00" to drop it
	}
	var renames []rename
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, a := range e.Attr {
			if a.Space == "xmlns" {
				if _, ok := declared[a.Value]; !ok {
					declared[a.Value] = a.Key
				}
			}
		}
		r := rename{e: e, space: e.NamespaceURI()}
		for _, a := range e.Attr {
			switch {
			case a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns"):
				r.attrs = append(r.attrs, "\x00")
			case a.Space != "":
				r.attrs = append(r.attrs, a.NamespaceURI())
			default:
				r.attrs = append(r.attrs, "")
			}
		}
		renames = append(renames, r)
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	prefix := func(uri string) string {
		if p, ok := Namespaces[uri]; ok {
			return p
		}
		return declared[uri]
	}
	for _, r := range renames {
		r.e.Space = prefix(r.space)
		attrs := r.e.Attr[:0]
		for i, a := range r.e.Attr {
			if r.attrs[i] == "\x00" {
				continue
			}
			if r.attrs[i] != "" {
				a.Space = prefix(r.attrs[i])
			}
			attrs = append(attrs, a)
		}
		r.e.Attr = attrs
	}
	return doc, nil
}

// At returns the stock values at a declared domain path
// ("/domain/os/loader", "/domain/devices/interface/driver/@queues",
// "/domain/qemu:commandline") or at a path a layer was recorded writing,
// with predicates ("/domain/devices/disk[target=hdc]"): for an element path each match serialised,
// for an attribute path each match's value. Namespaced steps match by
// namespace (see Canonical), not by the prefix the XML happens to use. A
// refused case has no values: callers leave refused cases out (see
// Case.Refused) and report the refusal itself.
func At(c Case, path string) ([]string, error) {
	if c.Refused() {
		return nil, nil
	}
	doc, err := Canonical(c.XML)
	if err != nil {
		return nil, err
	}
	steps, attr, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	var vals []string
	for _, e := range find(doc, steps) {
		if attr != "" {
			if a := e.SelectAttr(attr); a != nil {
				vals = append(vals, a.Value)
			}
			continue
		}
		d := etree.NewDocument()
		d.SetRoot(e.Copy())
		s, err := d.WriteToString()
		if err != nil {
			return nil, fmt.Errorf("serialise %s: %w", path, err)
		}
		vals = append(vals, s)
	}
	return vals, nil
}

// Names lists a corpus's cases, sorted.
func (c Corpus) Names() []string {
	var ns []string
	for n := range c {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}
