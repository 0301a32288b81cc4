package release_test

import (
	"path/filepath"
	"testing"

	"github.com/strataagent/strata/tools/release"
)

// TestRepositoryUpstreamIsTheRecordedRelease fails when upstream/ was edited
// in place: a change to it is a new release (strata import), which rewrites
// upstream/UPSTREAM in the same commit. The error names the files.
func TestRepositoryUpstreamIsTheRecordedRelease(t *testing.T) {
	if err := release.Verify(filepath.Join("..", "..", "upstream")); err != nil {
		t.Fatal(err)
	}
}
