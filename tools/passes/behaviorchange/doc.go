// Package behaviorchange reports behavior-change (warning): the body of an
// upstream function or method the overlay calls, directly or through
// upstream's own calls, changed (normalised), so the overlay may rely on
// behaviour that moved. Symbols
// already reported by api-break, copy-drift or override-drift are left out,
// and so is a body that changed only in its route registrations (sync or
// async, route options): the overlay calling it serves upstream's routes as
// upstream now registers them, and route-change judges the routes the
// overlay registers itself.
//
// It also follows upstream's static call graph (touchpoints' Refs: the
// functions, concrete methods and step tables a body names) from every
// function the overlay calls or hands on, and reports a changed function
// the overlay reaches only through upstream (a helper a stock Validate
// calls gains a bound) at the overlay's call, with the path to it
// (root → ... → changed). Calls through interfaces are not followed.
//
// A change is already shown, and left to the corpus diffs, when every path
// to it from the overlay passes through a function the stock corpus
// harness runs on each case, and each such function that reaches it shows
// a difference on some case: for the stock validation
// ((*StartVmCmd).ValidateFor, Validate) a case whose acceptance or refusal
// changed (stock-acceptance names it), for upstream/vmplugin.Build a case
// that renders differently (info, and xml-overlap for the layer paths).
// With no rendered corpus that side is skipped, as xml-overlap skips it. A
// change the corpus does not show (a new bound no case trips, a builder
// change while every case renders the same) is reported.
package behaviorchange
