// Package layout reads strata.yaml, the one description of the repository
// the release-merge tool works on: where upstream and the overlay live, the
// lock, the stock corpus and its entry points, the goldens over the stock
// XML, and the composition types the touch points are recognised by. The
// tool compiles in no folder or type of the project, so a team tracking
// another Go vendor tree writes its own strata.yaml.
//
// Directories are relative to the file's folder (the tree's root); package
// paths are module-relative ("upstream/vmplugin"); a type or function is a
// package path and a name ("upstream/kvmagent.Server").
package layout

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// File is the layout's name at the root of a tree.
const File = "strata.yaml"

// Layout is strata.yaml.
type Layout struct {
	Upstream    Upstream    `yaml:"upstream"`
	Overlay     []string    `yaml:"overlay"`
	Lock        Lock        `yaml:"lock"`
	Stock       Stock       `yaml:"stock"`
	Goldens     Goldens     `yaml:"goldens"`
	Composition Composition `yaml:"composition"`
	Layers      Layers      `yaml:"layers"`
}

// Upstream is the vendor's tree.
type Upstream struct {
	Name       string `yaml:"name"` // the vendor's release name, import's default
	Dir        string `yaml:"dir"`
	Provenance string `yaml:"provenance"` // a file name inside Dir
}

// Lock is where accept records upstream as last reconciled.
type Lock struct {
	File string `yaml:"file"`
	Dir  string `yaml:"dir"`
}

// Stock is the stock corpus and what the stock harness calls on each
// command: decode into Command, the first of Validate that Command has
// (a method), Build(ctx, cmd, Config, Host).
type Stock struct {
	Corpus   []string `yaml:"corpus"`
	Package  string   `yaml:"package"`
	Command  string   `yaml:"command"`
	Config   string   `yaml:"config"`
	Host     string   `yaml:"host"`
	Build    string   `yaml:"build"`
	Validate []string `yaml:"validate"`
	// Entries are further members of Package (as symbols name them after
	// the package: "(*T).M", "F") through which the overlay hands a
	// command to the release.
	Entries []string `yaml:"entries"`
}

// Goldens are the overlay's goldens rendered over the stock XML.
type Goldens struct {
	Dirs    []string `yaml:"dirs"`
	Command string   `yaml:"command"`
}

// Composition names the types whose uses are touch points by what they are.
type Composition struct {
	Routes   Routes `yaml:"routes"`
	Settings string `yaml:"settings"` // its literals (Key, Default) are settings
	Layer    string `yaml:"layer"`    // its package-level literals (Name, Writes) are layers
}

// Routes is the route registrar: a call of Sync or Async on Type with a
// constant path registers a route.
type Routes struct {
	Type  string `yaml:"type"`
	Sync  string `yaml:"sync"`
	Async string `yaml:"async"`
}

// Layers is what the layers harness (--layers) calls in the overlay.
type Layers struct {
	Order   string `yaml:"order"`   // the Go layers in order, a var
	Context string `yaml:"context"` // what a layer applies to
	Loader  string `yaml:"loader"`  // func(path string) ([]Entry, error); Entry.Layer() is a layer
	Command string `yaml:"command"` // the ex start command, embedding Stock.Command
}

// Load reads root/strata.yaml. A tree without one is an error naming the
// file: the tool does not guess a project.
func Load(root string) (*Layout, error) {
	p := filepath.Join(root, File)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s: the tool reads the project's layout from it (see MAINTAINING.md)", p, File)
	}
	if err != nil {
		return nil, fmt.Errorf("layout: %w", err)
	}
	l, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return l, nil
}

// Parse decodes and validates a layout. Unknown keys are errors, so a
// misspelt key is not silently ignored.
func Parse(b []byte) (*Layout, error) {
	var l Layout
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// Validate checks that every key is given and well formed; each error names
// its key.
func (l *Layout) Validate() error {
	var errs []error
	need := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is required", key))
		}
	}
	dir := func(key, v string) {
		need(key, v)
		if v != "" && (path.IsAbs(v) || path.Clean(v) != v || v == "." || strings.HasPrefix(v, "../")) {
			errs = append(errs, fmt.Errorf("%s: %q is not a clean path inside the tree", key, v))
		}
	}
	qualified := func(key, v string) {
		need(key, v)
		if v == "" {
			return
		}
		if _, _, ok := Split(v); !ok {
			errs = append(errs, fmt.Errorf("%s: %q is not package.Name (a module-relative package path, a dot, a name)", key, v))
		}
	}
	dirs := func(key string, vs []string) {
		if len(vs) == 0 {
			errs = append(errs, fmt.Errorf("%s is required (a list)", key))
		}
		for i, v := range vs {
			dir(fmt.Sprintf("%s[%d]", key, i), v)
		}
	}
	need("upstream.name", l.Upstream.Name)
	dir("upstream.dir", l.Upstream.Dir)
	need("upstream.provenance", l.Upstream.Provenance)
	if strings.ContainsAny(l.Upstream.Provenance, "/\\") {
		errs = append(errs, fmt.Errorf("upstream.provenance: %q is a file name inside upstream.dir, not a path", l.Upstream.Provenance))
	}
	dirs("overlay", l.Overlay)
	for i, o := range l.Overlay {
		if o == l.Upstream.Dir || strings.HasPrefix(o+"/", l.Upstream.Dir+"/") || strings.HasPrefix(l.Upstream.Dir+"/", o+"/") {
			errs = append(errs, fmt.Errorf("overlay[%d]: %q overlaps upstream.dir %q", i, o, l.Upstream.Dir))
		}
	}
	dir("lock.file", l.Lock.File)
	dir("lock.dir", l.Lock.Dir)
	dirs("stock.corpus", l.Stock.Corpus)
	dir("stock.package", l.Stock.Package)
	need("stock.command", l.Stock.Command)
	need("stock.config", l.Stock.Config)
	need("stock.host", l.Stock.Host)
	need("stock.build", l.Stock.Build)
	if len(l.Stock.Validate) == 0 {
		errs = append(errs, errors.New("stock.validate is required (a list of method names, best first)"))
	}
	for i, v := range l.Stock.Validate {
		need(fmt.Sprintf("stock.validate[%d]", i), v)
	}
	for i, v := range l.Stock.Entries {
		need(fmt.Sprintf("stock.entries[%d]", i), v)
	}
	dirs("goldens.dirs", l.Goldens.Dirs)
	need("goldens.command", l.Goldens.Command)
	qualified("composition.routes.type", l.Composition.Routes.Type)
	need("composition.routes.sync", l.Composition.Routes.Sync)
	need("composition.routes.async", l.Composition.Routes.Async)
	qualified("composition.settings", l.Composition.Settings)
	qualified("composition.layer", l.Composition.Layer)
	qualified("layers.order", l.Layers.Order)
	qualified("layers.context", l.Layers.Context)
	qualified("layers.loader", l.Layers.Loader)
	qualified("layers.command", l.Layers.Command)
	if len(errs) > 0 {
		return fmt.Errorf("invalid %s: %w", File, errors.Join(errs...))
	}
	return nil
}

// Split cuts "pkg/path.Name" into its package path and name.
func Split(q string) (pkg, name string, ok bool) {
	i := strings.LastIndex(q, ".")
	if i <= 0 || i == len(q)-1 || strings.Contains(q[i+1:], "/") {
		return "", "", false
	}
	return q[:i], q[i+1:], true
}

// Within reports whether the module-relative path rel is dir or below it.
func Within(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

// IsUpstream reports whether a package path or symbol (module-relative:
// "upstream/vmplugin", "upstream/vmplugin.Build") is upstream's.
func (l *Layout) IsUpstream(rel string) bool {
	return Within(rel, l.Upstream.Dir) || strings.HasPrefix(rel, l.Upstream.Dir+".")
}

// IsOverlay reports whether a module-relative package path is the overlay's.
func (l *Layout) IsOverlay(rel string) bool {
	for _, o := range l.Overlay {
		if Within(rel, o) {
			return true
		}
	}
	return false
}

// Copied is what goes next to a release to build the overlay against it:
// the module files, the layout itself and every overlay folder.
func (l *Layout) Copied() []string {
	return append([]string{"go.mod", "go.sum", File}, l.Overlay...)
}

// UpstreamDir is the upstream folder of the tree at root.
func (l *Layout) UpstreamDir(root string) string {
	return filepath.Join(root, filepath.FromSlash(l.Upstream.Dir))
}

// Abs is a layout path under the tree at root.
func Abs(root, rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

// StockSymbol names a member of the stock package as symbols do.
func (l *Layout) StockSymbol(member string) string { return l.Stock.Package + "." + member }

// ValidateSymbols are the stock validation methods, best first, as symbols.
func (l *Layout) ValidateSymbols() []string {
	out := make([]string, len(l.Stock.Validate))
	for i, m := range l.Stock.Validate {
		out[i] = l.StockSymbol("(*" + l.Stock.Command + ")." + m)
	}
	return out
}

// BuildSymbol is the stock build function as a symbol.
func (l *Layout) BuildSymbol() string { return l.StockSymbol(l.Stock.Build) }

// EntrySymbols are the stock symbols through which the overlay hands a start
// command to the release, in the order a start reaches them: validation,
// the further entries, the build.
func (l *Layout) EntrySymbols() []string {
	out := l.ValidateSymbols()
	for _, e := range l.Stock.Entries {
		out = append(out, l.StockSymbol(e))
	}
	return append(out, l.BuildSymbol())
}
