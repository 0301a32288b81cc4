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
// A change is already shown, and left to the corpus diff (info, and
// xml-overlap for the layer paths it touches), when every path to it from
// the overlay passes through upstream/vmplugin.Build, the function the
// stock XML harness runs on each case, and some corpus case renders
// differently under the two releases; with no rendered corpus the builder
// side is skipped, as xml-overlap skips it. A change reached only through
// Build while the whole corpus renders the same is reported: the corpus
// does not show it.
package behaviorchange
