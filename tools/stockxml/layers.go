package stockxml

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/beevik/etree"
	yaml "go.yaml.in/yaml/v3"
)

// LayerRun is one declarative entry of an operator's agent.yaml applied
// alone to each stock domain of the corpus under one release.
type LayerRun struct {
	File      string   `json:"file"`
	Index     int      `json:"index"` // in layers.declarative
	Line      int      `json:"line"`  // of the entry in File, 0 when unknown
	Name      string   `json:"name"`
	Overrides []string `json:"overrides,omitempty"`
	Writes    []string `json:"writes,omitempty"` // declared, as the layer reports them
	// Changed maps each case where the entry applied and changed the
	// domain to the paths it changed (see ChangedPaths).
	Changed map[string][]string `json:"changed,omitempty"`
	// Errors maps a case the entry failed on to the error.
	Errors map[string]string `json:"errors,omitempty"`
}

// LayerRender is the stock corpus the layers harness rendered (refused
// cases left out) and every entry's run over it.
type LayerRender struct {
	Stock Corpus
	Runs  Layers
	// Go is the repository's Go layers in order, as the release tree
	// declares them.
	Go []GoLayer
}

// GoLayer is a Go layer's declared overrides and writes.
type GoLayer struct {
	Name      string   `json:"name"`
	Overrides []string `json:"overrides,omitempty"`
	Writes    []string `json:"writes,omitempty"`
}

// Layers is every entry of the files given, in file then entry order.
type Layers []LayerRun

// Find returns the run of the entry named name in file, or nil.
func (ls Layers) Find(file, name string) *LayerRun {
	for i := range ls {
		if ls[i].File == file && ls[i].Name == name {
			return &ls[i]
		}
	}
	return nil
}

// layersHarness loads each agent.yaml with the overlay's own declarative
// code (the tool links no overlay; this program is built inside the
// release tree; strata.yaml's layers and stock keys say what it calls) and
// applies each entry alone to each case's stock domain,
// printing the stock XML and, per entry, the XML it produced where it
// changed anything.
const layersHarness = `package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"libvirt.org/go/libvirtxml"
{{range .LayerImports}}
	{{.Alias}} "{{.Path}}"
{{- end}}
)

type entryOut struct {
	Name      string            ` + "`json:\"name\"`" + `
	Index     int               ` + "`json:\"index\"`" + `
	Overrides []string          ` + "`json:\"overrides,omitempty\"`" + `
	Writes    []string          ` + "`json:\"writes,omitempty\"`" + `
	XML       map[string]string ` + "`json:\"xml,omitempty\"`" + `
	Errors    map[string]string ` + "`json:\"errors,omitempty\"`" + `
}

type fileOut struct {
	File    string     ` + "`json:\"file\"`" + `
	Error   string     ` + "`json:\"error,omitempty\"`" + `
	Entries []entryOut ` + "`json:\"entries\"`" + `
}

type goLayer struct {
	Name      string   ` + "`json:\"name\"`" + `
	Overrides []string ` + "`json:\"overrides,omitempty\"`" + `
	Writes    []string ` + "`json:\"writes,omitempty\"`" + `
}

type out struct {
	Stock map[string]string ` + "`json:\"stock\"`" + `
	Files []fileOut         ` + "`json:\"files\"`" + `
	Go    []goLayer         ` + "`json:\"go\"`" + `
}

type stockCase struct {
	cmd *{{.Ref .Layers.Command}}
	xml string
}

func main() {
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	if err != nil {
		panic(err)
	}
	res := out{Stock: map[string]string{}}
	for _, l := range {{.Ref .Layers.Order}} {
		res.Go = append(res.Go, goLayer{l.Name, l.Overrides, l.Writes})
	}
	cases := map[string]stockCase{}
	// STRATA_STOCK names a JSON file of stock XML by case (check's old
	// side, from the lock): the commands still select, the XML is not built.
	var given map[string]string
	if p := os.Getenv("STRATA_STOCK"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		if err := json.Unmarshal(b, &given); err != nil {
			panic(err)
		}
	}
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
			if json.Unmarshal(b, &cfg) != nil {
				continue
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		cmd := &{{.Ref .Layers.Command}}{}
		if json.Unmarshal(b, cmd) != nil {
			continue
		}
		if given != nil {
			if x, ok := given[name]; ok && x != "" {
				res.Stock[name] = x
				cases[name] = stockCase{cmd, x}
			}
			continue
		}
		// A case the release refuses is stock-acceptance's; it is no
		// evidence of what a layer selects.
		dom, err := {{.Ref .BuildFunc}}(context.Background(), &cmd.{{.Stock.Command}}, {{.Ref .ConfigType}}{DomainType: cfg.DomainType, Arch: cfg.Arch}, {{.Ref .HostType}}{})
		if err != nil {
			continue
		}
		x, err := dom.Marshal()
		if err != nil {
			continue
		}
		res.Stock[name] = x
		cases[name] = stockCase{cmd, x}
	}
	for _, path := range os.Args[2:] {
		fo := fileOut{File: path}
		entries, err := {{.Ref .Layers.Loader}}(path)
		if err != nil {
			fo.Error = err.Error()
			res.Files = append(res.Files, fo)
			continue
		}
		for i := range entries {
			l := entries[i].Layer()
			eo := entryOut{Name: l.Name, Index: i, Overrides: l.Overrides, Writes: l.Writes, XML: map[string]string{}, Errors: map[string]string{}}
			for name, c := range cases {
				d := &libvirtxml.Domain{}
				if err := d.Unmarshal(c.xml); err != nil {
					eo.Errors[name] = err.Error()
					continue
				}
				ctx := &{{.Ref .Layers.Context}}{Ctx: context.Background(), Cmd: c.cmd, Domain: d, StockXML: c.xml}
				if l.Applies != nil && !l.Applies(ctx) {
					continue
				}
				if err := l.Apply(ctx); err != nil {
					eo.Errors[name] = err.Error()
					continue
				}
				x, err := ctx.Domain.Marshal()
				if err != nil {
					eo.Errors[name] = err.Error()
					continue
				}
				if x != c.xml {
					eo.XML[name] = x
				}
			}
			fo.Entries = append(fo.Entries, eo)
		}
		res.Files = append(res.Files, fo)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		panic(err)
	}
}
`

// RenderLayers builds the layers harness against the tree at root and
// applies every declarative entry of files (agent.yaml paths) to the stock
// domain of each command of corpusDir. It returns the stock corpus it
// rendered (the refused cases left out) and the runs.
func RenderLayers(ctx context.Context, root, corpusDir string, files []string) (*LayerRender, error) {
	return renderLayers(ctx, root, corpusDir, nil, files)
}

// RenderLayersOver is RenderLayers over stock XML already rendered (the
// lock's, for check's old side) instead of the tree's builder: the
// corpus's commands still decide what each entry's selector picks; a case
// stock does not render (or refused) is left out.
func RenderLayersOver(ctx context.Context, root, corpusDir string, stock Corpus, files []string) (*LayerRender, error) {
	m := map[string]string{}
	for n, c := range stock {
		if !c.Refused() {
			m[n] = c.XML
		}
	}
	return renderLayers(ctx, root, corpusDir, m, files)
}

func renderLayers(ctx context.Context, root, corpusDir string, stock map[string]string, files []string) (*LayerRender, error) {
	h, err := newHarness("layers harness", layersHarness, root)
	if err != nil {
		return nil, err
	}
	defer h.close()
	absCorpus, err := filepath.Abs(corpusDir)
	if err != nil {
		return nil, fmt.Errorf("layers harness: %w", err)
	}
	args := []string{absCorpus}
	abs := map[string]string{} // absolute path -> as given, for positions
	for _, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("layers harness: %w", err)
		}
		abs[a] = f
		args = append(args, a)
	}
	var env []string
	if stock != nil {
		b, err := json.Marshal(stock)
		if err != nil {
			return nil, fmt.Errorf("layers harness: %w", err)
		}
		p := filepath.Join(h.dir, "stock.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, fmt.Errorf("layers harness: %w", err)
		}
		env = append(env, "STRATA_STOCK="+p)
	}
	out, err := h.run(ctx, root, env, args...)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Stock map[string]string `json:"stock"`
		Files []struct {
			File    string `json:"file"`
			Error   string `json:"error"`
			Entries []struct {
				Name      string            `json:"name"`
				Index     int               `json:"index"`
				Overrides []string          `json:"overrides"`
				Writes    []string          `json:"writes"`
				XML       map[string]string `json:"xml"`
				Errors    map[string]string `json:"errors"`
			} `json:"entries"`
		} `json:"files"`
		Go []GoLayer `json:"go"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("layers harness output: %w", err)
	}
	rendered := Corpus{}
	for n, x := range raw.Stock {
		rendered[n] = Case{XML: x}
	}
	var runs Layers
	for _, f := range raw.Files {
		if f.Error != "" {
			return nil, fmt.Errorf("layers file %s: %s", abs[f.File], f.Error)
		}
		for _, e := range f.Entries {
			r := LayerRun{File: abs[f.File], Index: e.Index, Line: entryLine(abs[f.File], e.Index), Name: e.Name, Overrides: e.Overrides, Writes: e.Writes, Errors: e.Errors}
			for n, x := range e.XML {
				ps, err := ChangedPaths(raw.Stock[n], x)
				if err != nil {
					return nil, fmt.Errorf("layers file %s entry %s case %s: %w", r.File, r.Name, n, err)
				}
				if len(ps) == 0 {
					continue // serialisation only
				}
				if r.Changed == nil {
					r.Changed = map[string][]string{}
				}
				r.Changed[n] = ps
			}
			runs = append(runs, r)
		}
	}
	return &LayerRender{Stock: rendered, Runs: runs, Go: raw.Go}, nil
}

// entryLine is the line of layers.declarative[i] in an agent.yaml, 0 when
// the file does not parse so (the harness already loaded it; a position
// is a help, not a fact the findings rest on).
func entryLine(file string, i int) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	n := doc.Content[0]
	for _, key := range []string{"layers", "declarative"} {
		n = child(n, key)
		if n == nil {
			return 0
		}
	}
	if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return 0
	}
	return n.Content[i].Line
}

func child(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return m.Content[j+1]
		}
	}
	return nil
}

// ChangedPaths lists the declared paths (no predicates) at which two
// renders of a domain differ: an attribute whose values differ, or an
// element whose count or text differs; nothing under an element path
// already listed.
func ChangedPaths(before, after string) ([]string, error) {
	fa, err := flatten(before)
	if err != nil {
		return nil, err
	}
	fb, err := flatten(after)
	if err != nil {
		return nil, err
	}
	var changed []string
	for k := range fa {
		if !slices.Equal(fa[k], fb[k]) {
			changed = append(changed, k)
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	var out []string
	for _, p := range changed {
		if n := len(out); n > 0 && !strings.Contains(out[n-1], "@") && Covers(out[n-1], p) {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// flatten maps each element path to its elements' texts (one per element,
// so the count shows) and each attribute path to its values, sorted.
func flatten(x string) (map[string][]string, error) {
	doc, err := Canonical(x)
	if err != nil {
		return nil, err
	}
	m := map[string][]string{}
	var walk func(e *etree.Element, p string)
	walk = func(e *etree.Element, p string) {
		p += "/" + name(e)
		m[p] = append(m[p], strings.TrimSpace(e.Text()))
		for _, a := range e.Attr {
			k := a.Key
			if a.Space != "" {
				k = a.Space + ":" + a.Key
			}
			m[p+"/@"+k] = append(m[p+"/@"+k], a.Value)
		}
		for _, c := range e.ChildElements() {
			walk(c, p)
		}
	}
	if r := doc.Root(); r != nil {
		walk(r, "")
	}
	for k := range m {
		sort.Strings(m[k])
	}
	return m, nil
}
