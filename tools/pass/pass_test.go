package pass_test

import (
	"slices"
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

func TestFirstBy(t *testing.T) {
	at := func(file string, line int) finding.Finding {
		return finding.Finding{Symbol: "upstream/vm.(*Vm).Start", Overlay: finding.Pos{File: file, Line: line}, Message: "m"}
	}
	tests := []struct {
		name     string
		in       []finding.Finding
		overlay  finding.Pos
		wantAlso []finding.Pos
	}{
		{"one position", []finding.Finding{at("a.go", 3)}, finding.Pos{File: "a.go", Line: 3}, nil},
		{"every other position in file order", []finding.Finding{at("b.go", 2), at("a.go", 9), at("a.go", 3), at("b.go", 2)},
			finding.Pos{File: "a.go", Line: 3}, []finding.Pos{{File: "a.go", Line: 9}, {File: "b.go", Line: 2}}},
	}
	for _, tt := range tests {
		got := pass.FirstBy(tt.in)
		if len(got) != 1 || got[0].Overlay != tt.overlay || !slices.Equal(got[0].Also, tt.wantAlso) {
			t.Errorf("%s: got %+v, want one at %v also %v", tt.name, got, tt.overlay, tt.wantAlso)
		}
	}
}
