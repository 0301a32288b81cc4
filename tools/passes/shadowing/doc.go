// Package shadowing reports shadowing (error): an overlay type embedding
// an upstream type now shadows, or now reaches differently, a member the
// new release adds or moves, and the build does not say so.
//
//   - A new upstream method or field with the name of an exported member
//     the overlay type declares itself: on the overlay type the overlay's
//     runs, on the embedded upstream value upstream's. The finding names
//     both sides and the upstream interfaces the embedded type now
//     satisfies through the new method: upstream's own code calling through
//     them reaches upstream's method, not the overlay's.
//   - A name promoted into the overlay type that now resolves elsewhere: an
//     ambiguous selector (the new release adds the name at the same depth
//     through another embedded type) or a member promoted from another type.
//
// Overrides the old release already had are override-lost's and
// override-drift's; names only the new release promotes are new API (info).
package shadowing
