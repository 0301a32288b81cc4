// Package behaviorchange reports behavior-change (warning): the body of an
// upstream function or method the overlay calls directly changed
// (normalised), so the overlay may rely on behaviour that moved. Symbols
// already reported by api-break, copy-drift or override-drift are left out.
package behaviorchange
