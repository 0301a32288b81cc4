package stockacceptance_test

import (
	"slices"
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
)

// A release that makes rootPath required refuses one corpus case: one
// error naming it and both answers, no xml-overlap at the layer's paths;
// the case whose vCPU count it now accepts is information.
func TestPass(t *testing.T) {
	rep := mergetest.Run(t, "testdata/src/a")
	var info []string
	for _, f := range rep.Info {
		if f.Class == "stock-acceptance" {
			info = append(info, f.Symbol+": "+f.Message)
		}
	}
	want := []string{"corpus:wide: corpus case wide, which the old release refuses, is accepted by the new release: old: validate: cpuNum: 16 exceeds the maximum of 8; new: accepted"}
	if !slices.Equal(info, want) {
		t.Errorf("stock-acceptance info\n%q\nwant\n%q", info, want)
	}
}
