package xmloverlap_test

import (
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
)

func TestPass(t *testing.T) { mergetest.Run(t, "testdata/src/a") }

// Namespaced paths: qemu:commandline newly emitted in default-xmlns form
// collides; strata:tags respelled from prefix to default xmlns does not.
func TestNamespaces(t *testing.T) { mergetest.Run(t, "testdata/src/b") }

// Exact write paths: a layer its explain golden shows writing is compared
// where it wrote (machine's cdrom rename is untouched by the release's io
// on vda), a layer in no golden at its declared paths.
func TestRecordedPaths(t *testing.T) { mergetest.Run(t, "testdata/src/c") }
