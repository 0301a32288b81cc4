package pass_test

import (
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes"
)

func noop(*pass.Input) ([]finding.Finding, error) { return nil, nil }

func TestValidate(t *testing.T) {
	a := &pass.Pass{Name: "a-pass", Doc: "a", Run: noop}
	b := &pass.Pass{Name: "b-pass", Doc: "b", Run: noop, Requires: []*pass.Pass{a}}
	outside := &pass.Pass{Name: "outside", Doc: "o", Run: noop}
	c1 := &pass.Pass{Name: "cycle-one", Doc: "c", Run: noop}
	c2 := &pass.Pass{Name: "cycle-two", Doc: "c", Run: noop, Requires: []*pass.Pass{c1}}
	c1.Requires = []*pass.Pass{c2}
	tests := []struct {
		name string
		set  []*pass.Pass
		want string // substring of the error, "" for none
	}{
		{"ok", []*pass.Pass{a, b}, ""},
		{"the real set", passes.All, ""},
		{"duplicate", []*pass.Pass{a, a}, "defined twice"},
		{"bad name", []*pass.Pass{{Name: "Bad_Name", Doc: "x", Run: noop}}, "lower-case"},
		{"no doc", []*pass.Pass{{Name: "no-doc", Run: noop}}, "no doc"},
		{"no run", []*pass.Pass{{Name: "no-run", Doc: "x"}}, "no Run"},
		{"requires outside", []*pass.Pass{{Name: "needs", Doc: "x", Run: noop, Requires: []*pass.Pass{outside}}}, "not in the set"},
		{"cycle", []*pass.Pass{c1, c2}, "cycle"},
	}
	for _, tt := range tests {
		err := pass.Validate(tt.set)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

// Every class's doc comes from its doc.go and opens with the class name's
// meaning.
func TestDocs(t *testing.T) {
	for _, p := range passes.All {
		if !strings.Contains(p.Doc, p.Name) {
			t.Errorf("%s: doc does not name the class: %q", p.Name, p.Doc)
		}
	}
}

func TestRunAllOrder(t *testing.T) {
	var order []string
	mk := func(name string, req ...*pass.Pass) *pass.Pass {
		return &pass.Pass{Name: name, Doc: name, Requires: req, Run: func(in *pass.Input) ([]finding.Finding, error) {
			order = append(order, name)
			return []finding.Finding{{Symbol: name}}, nil
		}}
	}
	first := mk("first")
	second := mk("second", first)
	fs, err := pass.RunAll([]*pass.Pass{second, first}, &pass.Input{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "first,second" || len(fs) != 2 || fs[0].Class != "first" {
		t.Errorf("order %v, findings %+v", order, fs)
	}
}
