package testbreak

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/finding"
	"github.com/strataagent/strata/tools/gotest"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/apibreak"
)

// TestRun runs the fixture's overlay tests (testdata/release: a module
// whose new release adds a channel, renames a golden's stock name and
// drops a function an overlay test calls) under both releases, then the
// pass over the result, with and without an api-break naming the package
// that no longer builds.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in the fixture's two trees")
	}
	fix, _ := filepath.Abs(filepath.Join("testdata", "release"))
	res, err := gotest.Compare(context.Background(), t.TempDir(), filepath.Join(fix, "old"), filepath.Join(fix, "new"),
		[]string{"go.mod", "upstream", "overlay"}, []string{"./overlay/..."})
	if err != nil {
		t.Fatal(err)
	}
	breaks := "error overlay/count/count_test.go:9 overlay/count.TestChannels: test TestChannels/stock (overlay/count) passes under the old release and fails under the new one: count_test.go:16: channels: 3, want 2"
	both := "info overlay/both/both_test.go:5 overlay/both.TestAlwaysFails: test TestAlwaysFails (overlay/both) fails under the old release too: not the release's doing: both_test.go:6: broken before the release"
	golden := "warning overlay/golden/golden_test.go:13 goldens:overlay/golden: 1 test in 1 package fail under the new release and pass once the goldens of overlay/golden are re-rendered: they compare output built over the stock XML the release changed (overlay/golden TestGolden)"
	build := "error overlay/build/build_test.go:10 overlay/build: package overlay/build does not build with its tests under the new release, and no api-break names why: overlay/build/build_test.go:10:8: undefined: up.Legacy"
	tests := []struct {
		name     string
		apiBreak []finding.Finding
		want     []string
	}{
		{"every kind", nil, []string{both, build, breaks, golden}},
		{"api-break explains the build", []finding.Finding{{Overlay: finding.Pos{File: "overlay/build/build_test.go", Line: 10}}}, []string{both, breaks, golden}},
	}
	for _, tt := range tests {
		in := &pass.Input{Tests: res, Results: map[string][]finding.Finding{apibreak.Pass.Name: tt.apiBreak}}
		fs, err := run(in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, f := range finding.Sort(fs) {
			got = append(got, fmt.Sprintf("%s %s %s: %s", f.Severity, f.Overlay, f.Symbol, f.Message))
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
	f := rerenderOf(t, res)
	if want := "re-render them (`go test ./overlay/golden -run '^(TestGolden)$' -update`)"; !strings.HasPrefix(f.Action, want) {
		t.Errorf("golden action %q, want prefix %q", f.Action, want)
	}
}

func rerenderOf(t *testing.T, res *gotest.Result) finding.Finding {
	t.Helper()
	fs, err := run(&pass.Input{Tests: res})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Severity == finding.Warning {
			return f
		}
	}
	t.Fatalf("no golden warning in %+v", fs)
	return finding.Finding{}
}

// Without a test run (check, --no-tests) the pass says nothing.
func TestRunNoTests(t *testing.T) {
	fs, err := run(&pass.Input{})
	if err != nil || len(fs) != 0 {
		t.Errorf("got %v, %v; want nothing", fs, err)
	}
}
