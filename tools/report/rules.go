package report

// Rule is what a reader of a SARIF result sees of its class: a short
// phrase, and the section of MAINTAINING.md that says what to do.
type Rule struct {
	Short  string // a phrase, no period
	Anchor string // a heading of MAINTAINING.md, as GitHub slugs it
	Help   string // markdown: what to do
}

// HelpBase is where the rules' help lives.
const HelpBase = "https://github.com/strataagent/strata/blob/main/MAINTAINING.md"

// Rules has one entry per class of passes.All, plus lock and info; a test
// fails when a pass has none or an anchor is not a heading of MAINTAINING.md.
var Rules = map[string]Rule{
	"api-break": {"The overlay no longer builds against upstream", "api-break",
		"Fix the overlay at the reported line until `go build ./...` passes; the message says what upstream changed."},
	"override-lost": {"An overridden upstream method is gone or re-typed", "override-lost",
		"Rename or re-type the overlay's method to the new upstream one, or drop it: the build passes while the override silently stops applying."},
	"override-drift": {"The body of an overridden upstream method changed", "override-drift",
		"Read the upstream change and carry it into the override by hand where it applies."},
	"shadowing": {"A new upstream member is shadowed by, or changes what is promoted to, an overlay type", "shadowing",
		"Rename the overlay's member, or make it an override on purpose; calls through upstream's interfaces reach upstream's member."},
	"stock-acceptance": {"A corpus start command one release accepts and the other refuses", "stock-acceptance",
		"Read the new release's refusal in the finding; make the overlay or the commands supply what the release now requires."},
	"copy-drift": {"The original of a stamped copy changed", "copy-drift",
		"Run `go run ./cmd/strata refresh SYMBOL` (a 3-way merge); resolve markers if it exits 1."},
	"route-change": {"A route the overlay serves or wraps changed upstream", "route-change",
		"Register the overlay's route as upstream now does, or rename the overlay's path."},
	"settings-change": {"A settings key the overlay defines or reads changed upstream", "settings-change",
		"Rename the overlay's key, or read the key that replaced it with the getter of its type."},
	"xml-overlap": {"The stock XML changed where a patch layer writes", "xml-overlap",
		"Re-render the layers' and the agent's goldens with the command in the finding, read `git diff` of them, and change the layer if it no longer produces what it means to."},
	"layer-overlap": {"The stock XML changed where an operator's declarative layer writes", "layer-overlap",
		"Render a VM the entry targets under the new release (`strata-agent render --diff`) and fix the entry in the agent.yaml if it no longer produces what it means to."},
	"layer-no-op": {"An operator's declarative layer changes nothing under the new release", "layer-no-op",
		"Fix the entry's path or match in the agent.yaml the finding names so it selects what the new release emits, or delete it."},
	"stale-override": {"A layer overrides a layer that no longer writes its paths", "stale-override",
		"Drop the name from the layer's overrides, or name the layer that now writes those paths."},
	"behavior-change": {"The body of an upstream function the overlay calls changed", "behavior-change",
		"Read the upstream change and check that the overlay's use of it still holds."},
	"test-break": {"An overlay test passes under the old release and fails under the new one", "test-break",
		"Read the failure the finding quotes: either the overlay must follow the release (the test, or the code it tests), or the vendor's change is a bug to answer in the overlay; goldens that follow the stock XML are re-rendered with the command in the finding."},
	LockClass: {"The lock does not match the tree", "lock",
		"Review the new touch point (or the one gone), then run `go run ./cmd/strata accept`."},
	InfoRule: {"An upstream change the overlay does not touch", "info",
		"Nothing to do; read it to know what the release changed."},
}

// InfoRule is the SARIF rule of info lines (level note).
const InfoRule = "info"
