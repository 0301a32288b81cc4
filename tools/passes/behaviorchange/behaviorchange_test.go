package behaviorchange_test

import (
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/behaviorchange"
	"github.com/strataagent/strata/tools/stockxml"
	"github.com/strataagent/strata/tools/touchpoints"
)

func TestPass(t *testing.T) {
	for _, dir := range []string{"testdata/src/a", "testdata/src/b"} {
		t.Run(dir, func(t *testing.T) { mergetest.Run(t, dir) })
	}
}

// A change reached only through the corpus's entry (Build → steps →
// makeCPU, a new bound) is left to the corpus diff when some case renders
// differently, and reported with its path when the corpus shows nothing.
func TestCorpusShown(t *testing.T) {
	oldDir, newDir := mergetest.Trees(t, "testdata/src/b")
	oldT, err := touchpoints.Load(oldDir)
	if err != nil {
		t.Fatal(err)
	}
	newT, err := touchpoints.Load(newDir)
	if err != nil {
		t.Fatal(err)
	}
	same := stockxml.Corpus{"plain": {XML: "<vcpu>1</vcpu>"}}
	differs := stockxml.Corpus{"plain": {XML: "<vcpu>2</vcpu>"}}
	const viaBuild = "the body of upstream/vmplugin.makeCPU, which the overlay reaches through upstream/vmplugin.Build → upstream/vmplugin.steps → upstream/vmplugin.makeCPU, changed"
	tests := []struct {
		name             string
		oldXML, newXML   stockxml.Corpus
		wantBuildFinding bool
	}{
		{"corpus renders the same", same, same, true},
		{"corpus shows a change", same, differs, false},
		{"corpus not rendered", nil, nil, false},
	}
	for _, tt := range tests {
		fs, err := pass.RunAll([]*pass.Pass{behaviorchange.Pass}, &pass.Input{Old: oldT, New: newT, OldXML: tt.oldXML, NewXML: tt.newXML})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, f := range fs {
			if f.Class == behaviorchange.Pass.Name {
				msgs = append(msgs, f.Message)
			}
		}
		if got := slices.Contains(msgs, viaBuild); got != tt.wantBuildFinding {
			t.Errorf("%s: finding via Build %v, want %v; findings: %q", tt.name, got, tt.wantBuildFinding, msgs)
		}
		if len(msgs) != 2+btoi(tt.wantBuildFinding) {
			t.Errorf("%s: %d findings, want %d: %q", tt.name, len(msgs), 2+btoi(tt.wantBuildFinding), msgs)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
