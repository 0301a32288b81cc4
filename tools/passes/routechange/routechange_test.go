package routechange_test

import (
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
)

func TestPass(t *testing.T) {
	for _, dir := range []string{
		"testdata/src/a",
		// b: overlay routes under /ex/ that wrap stock routes, by an
		// upstream constant or by suffix; a called registration whose body
		// changed only in its routes gives no behavior-change.
		"testdata/src/b",
	} {
		t.Run(dir, func(t *testing.T) { mergetest.Run(t, dir) })
	}
}
