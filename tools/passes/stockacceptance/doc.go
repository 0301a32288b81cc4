// Package stockacceptance reports stock-acceptance: a corpus start command
// (the old release's cases plus the new release's own) that one release
// accepts and the other refuses, through the stock validation and build
// the harness runs (package stockxml). Newly refused is an error (a start
// the management node sends today fails after the merge), newly accepted is
// information; each names the case and both releases' answers. A refused
// case is no xml-overlap evidence, so one refusal is one finding, not a
// difference at every path a layer writes.
package stockacceptance
