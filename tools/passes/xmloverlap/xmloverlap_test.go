package xmloverlap_test

import (
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
)

func TestPass(t *testing.T) { mergetest.Run(t, "testdata/src/a") }

// Namespaced paths: qemu:commandline newly emitted in default-xmlns form
// collides; strata:tags respelled from prefix to default xmlns does not.
func TestNamespaces(t *testing.T) { mergetest.Run(t, "testdata/src/b") }
