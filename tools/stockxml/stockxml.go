// Package stockxml renders the stock start-command corpus under a release
// and reads it at the domain paths layers declare. The tool never links a
// release: Render writes a small harness program to a temporary directory
// and runs it with `go run` from the tree's root, so the harness builds
// against that tree's upstream/ and a release that does not build is an
// error the caller reports, not a crash.
package stockxml

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Case is one corpus command rendered: its XML, or the build error.
type Case struct {
	XML   string `json:"xml,omitempty"`
	Error string `json:"error,omitempty"`
}

// Corpus maps a corpus case name (the JSON file's base name) to its render.
type Corpus map[string]Case

// harness is built against the tree; it uses only Build, StartVmCmd,
// Config and OfflineHost, the release's rendering entry points.
const harness = `package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/strataagent/strata/upstream/vmplugin"
)

type result struct {
	XML   string ` + "`json:\"xml,omitempty\"`" + `
	Error string ` + "`json:\"error,omitempty\"`" + `
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
				out[name] = result{Error: err.Error()}
				continue
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		cmd := &vmplugin.StartVmCmd{}
		if err := json.Unmarshal(b, cmd); err != nil {
			out[name] = result{Error: err.Error()}
			continue
		}
		dom, err := vmplugin.Build(context.Background(), cmd, vmplugin.Config{DomainType: cfg.DomainType, Arch: cfg.Arch}, vmplugin.OfflineHost{})
		if err != nil {
			out[name] = result{Error: err.Error()}
			continue
		}
		x, err := dom.Marshal()
		if err != nil {
			out[name] = result{Error: err.Error()}
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
// command of corpusDir (upstream/vmplugin/testdata of the old release, so
// both releases see the same input).
func Render(ctx context.Context, root, corpusDir string) (Corpus, error) {
	dir, err := os.MkdirTemp("", "strata-harness-")
	if err != nil {
		return nil, fmt.Errorf("stock xml harness: %w", err)
	}
	defer os.RemoveAll(dir)
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, []byte(harness), 0o644); err != nil {
		return nil, fmt.Errorf("stock xml harness: %w", err)
	}
	absCorpus, err := filepath.Abs(corpusDir)
	if err != nil {
		return nil, fmt.Errorf("stock xml harness: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "-trimpath", main, absCorpus)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("stock xml harness against %s: %w: %s", root, err, firstLines(stderr.String(), 8))
	}
	var c Corpus
	if err := json.Unmarshal(stdout.Bytes(), &c); err != nil {
		return nil, fmt.Errorf("stock xml harness output: %w", err)
	}
	return c, nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

// At returns the stock values at a declared domain path
// ("/domain/os/loader", "/domain/devices/interface/driver/@queues"): for an
// element path each match serialised, for an attribute path each match's
// value. A case that failed to render yields its error text, so a change
// in failing is a difference too.
func At(c Case, path string) ([]string, error) {
	if c.Error != "" {
		return []string{"error: " + c.Error}, nil
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(c.XML); err != nil {
		return nil, fmt.Errorf("parse stock xml: %w", err)
	}
	elemPath, attr := path, ""
	if i := strings.LastIndex(path, "/@"); i >= 0 {
		elemPath, attr = path[:i], path[i+2:]
	}
	ep, err := etree.CompilePath(elemPath)
	if err != nil {
		return nil, fmt.Errorf("domain path %s: %w", path, err)
	}
	var vals []string
	for _, e := range doc.FindElementsPath(ep) {
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
