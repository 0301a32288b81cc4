// Package overridelost reports override-lost (error): an upstream method
// that an overlay method overrides (shadows, through an embedded upstream
// type) is gone, renamed or re-typed in the new release, so the overlay
// method silently stops overriding it. The build still passes: apidiff
// ignores embedding and shadowing, which is why this pass exists.
package overridelost
