// Package behaviorchange reports behavior-change (warning): the body of an
// upstream function or method the overlay calls directly changed
// (normalised), so the overlay may rely on behaviour that moved. Symbols
// already reported by api-break, copy-drift or override-drift are left out,
// and so is a body that changed only in its route registrations (sync or
// async, route options): the overlay calling it serves upstream's routes as
// upstream now registers them, and route-change judges the routes the
// overlay registers itself.
package behaviorchange
