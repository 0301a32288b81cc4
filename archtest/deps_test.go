// Package archtest enforces the one-way dependency flow of DESIGN.md:
// cmd → overlay → linux2 and upstream; linux2 → upstream; upstream imports
// nothing of ours outside upstream/; tools links none of upstream, overlay
// or linux2 (it reads them as source).
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/strataagent/strata"

// allowed says which of our top-level trees a tree may import.
var allowed = map[string][]string{
	"upstream": {"upstream"},
	"linux2":   {"linux2", "upstream"},
	"overlay":  {"overlay", "linux2", "upstream"},
	"tools":    {"tools"},
	"cmd":      {"cmd", "overlay", "linux2", "upstream", "tools"},
	"bench":    {"bench", "overlay", "linux2", "upstream"},
	"e2e":      {"e2e", "overlay", "linux2", "upstream", "cmd"},
	"archtest": {"archtest"},
	// packaging builds cmd/strata-agent by running go build; it links none of ours.
	"packaging": {"packaging"},
}

func tree(pkg string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	top, _, _ := strings.Cut(rest, "/")
	return top
}

func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		from := tree(p.ImportPath)
		ok, known := allowed[from]
		if !known {
			t.Errorf("%s: top-level tree %q has no dependency rule here", p.ImportPath, from)
			continue
		}
		checked++
		imports := append(append(append([]string{}, p.Imports...), p.TestImports...), p.XTestImports...)
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := tree(imp)
			permitted := false
			for _, a := range ok {
				permitted = permitted || a == to
			}
			if !permitted {
				t.Errorf("%s imports %s: %s/ may import only %v", p.ImportPath, imp, from, ok)
			}
		}
	}
	if checked == 0 {
		t.Fatal("go list found no packages")
	}
}

// overlayRules are the rules inside overlay/: the layer contract imports
// no layer (a layer owns its ex block; the contract sees raw JSON), and
// neither the configuration nor the start path imports a layer
// implementation (the composition passes the Go order in). Only the
// packages' own code counts; their tests may use the layers.
var overlayRules = map[string][]string{
	"overlay/layer":  {"overlay/layers", "overlay/declarative"},
	"overlay/excmd":  {"overlay/layers", "overlay/declarative", "overlay/layer"},
	"overlay/config": {"overlay/layers"},
	"overlay/start":  {"overlay/layers", "overlay/declarative"},
}

func TestOverlayRules(t *testing.T) {
	for pkg, forbidden := range overlayRules {
		out, err := exec.Command("go", "list", "-deps", module+"/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("%s: no dependencies listed", pkg)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if d == module+"/"+f {
					t.Errorf("%s depends on %s, which it must not import (see overlayRules)", pkg, f)
				}
			}
		}
	}
}
