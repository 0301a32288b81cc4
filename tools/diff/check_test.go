package diff_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/passes/testbreak"
	"github.com/strataagent/strata/tools/release"
)

func corpusCases(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".xml"))
	}
	return out
}

// conflictKeys is what diff and check must agree on: class, symbol, the
// overlay position and the new release's upstream position. test-break is
// left out: check does not run the overlay's tests (the lock holds no test
// results and CI runs them itself), so only diff can name one.
func conflictKeys(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Class == diff.LockClass || f.Class == testbreak.Pass.Name {
			continue
		}
		np := "-"
		if f.Upstream.New != nil {
			np = f.Upstream.New.String()
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", f.Class, f.Symbol, f.Overlay, np))
	}
	slices.Sort(out)
	return out
}

// TestCheckIsDiff: the lock accepted on this tree, then the release
// imported, check (the tree against the lock) names the conflicts a diff
// of the two releases names, at the same positions: one classifier.
func TestCheckIsDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the stock corpus four times")
	}
	ctx := context.Background()
	for _, v := range []string{"2.3.1", "2.3.2"} {
		t.Run(v, func(t *testing.T) {
			root, rel := releaseTree(t, v)
			want, err := diff.Run(ctx, diff.Options{Root: root, New: rel})
			if err != nil {
				t.Fatal(err)
			}
			dir, err := release.Materialize(root, filepath.Join(root, "upstream"))
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			if _, err := lock.Accept(ctx, dir, pass.LockKinds(passes.All), false); err != nil {
				t.Fatal(err)
			}
			if _, err := release.Import(dir, rel, "kvmagent", v); err != nil {
				t.Fatal(err)
			}
			got, err := diff.Check(ctx, dir, false)
			if err != nil {
				t.Fatal(err)
			}
			// A corpus case the release adds has no stock XML in the lock
			// (diff renders it under the old release; check has none):
			// check names the case instead, and may miss only xml-overlap
			// findings.
			newCases := map[string]bool{}
			for _, c := range corpusCases(t, filepath.Join(rel, "vmplugin", "testdata")) {
				newCases[c] = true
			}
			for _, c := range corpusCases(t, filepath.Join(root, "upstream", "vmplugin", "testdata")) {
				delete(newCases, c)
			}
			w, g := conflictKeys(want.Conflicts), conflictKeys(got.Conflicts)
			for _, k := range g {
				if !slices.Contains(w, k) {
					t.Errorf("check names %q, diff does not", k)
				}
			}
			for _, k := range w {
				if !slices.Contains(g, k) && (len(newCases) == 0 || !strings.HasPrefix(k, "xml-overlap ")) {
					t.Errorf("diff names %q, check does not", k)
				}
			}
			for _, f := range got.Conflicts {
				if f.Class == diff.LockClass && !(strings.HasPrefix(f.Message, "xml ") && newCases[f.Symbol]) {
					t.Errorf("check: a lock finding with no overlay change: %+v", f)
				}
				delete(newCases, f.Symbol)
			}
			for c := range newCases {
				t.Errorf("check does not name the release's new corpus case %s", c)
			}
			if len(want.Conflicts) == 0 && len(got.Warnings) != 0 {
				t.Errorf("check warns on a clean release: %q", got.Warnings)
			}
		})
	}
}
