// Package passes lists the conflict classes, one pass per class, in the
// order the report lists them.
package passes

import (
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes/apibreak"
	"github.com/strataagent/strata/tools/passes/behaviorchange"
	"github.com/strataagent/strata/tools/passes/copydrift"
	"github.com/strataagent/strata/tools/passes/layernoop"
	"github.com/strataagent/strata/tools/passes/layeroverlap"
	"github.com/strataagent/strata/tools/passes/overridedrift"
	"github.com/strataagent/strata/tools/passes/overridelost"
	"github.com/strataagent/strata/tools/passes/routechange"
	"github.com/strataagent/strata/tools/passes/settingschange"
	"github.com/strataagent/strata/tools/passes/shadowing"
	"github.com/strataagent/strata/tools/passes/staleoverride"
	"github.com/strataagent/strata/tools/passes/stockacceptance"
	"github.com/strataagent/strata/tools/passes/testbreak"
	"github.com/strataagent/strata/tools/passes/xmloverlap"
)

// All is every class.
var All = []*pass.Pass{
	apibreak.Pass,
	overridelost.Pass,
	overridedrift.Pass,
	shadowing.Pass,
	copydrift.Pass,
	routechange.Pass,
	settingschange.Pass,
	stockacceptance.Pass,
	xmloverlap.Pass,
	layeroverlap.Pass,
	layernoop.Pass,
	staleoverride.Pass,
	behaviorchange.Pass,
	testbreak.Pass,
}
