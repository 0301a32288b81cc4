package shadowing_test

import (
	"testing"

	"github.com/strataagent/strata/tools/mergetest"
)

func TestPass(t *testing.T) { mergetest.Run(t, "testdata/src/a") }
