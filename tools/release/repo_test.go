package release_test

import (
	"testing"

	"github.com/strataagent/strata/tools/layout"
	"github.com/strataagent/strata/tools/release"
)

// TestRepositoryUpstreamIsTheRecordedRelease fails when upstream/ was edited
// in place: a change to it is a new release (strata import), which rewrites
// upstream/UPSTREAM in the same commit. The error names the files.
func TestRepositoryUpstreamIsTheRecordedRelease(t *testing.T) {
	root := "../.."
	lay, err := layout.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := release.Of(lay, root).Verify(); err != nil {
		t.Fatal(err)
	}
}
