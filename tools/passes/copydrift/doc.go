// Package copydrift reports copy-drift (error): the upstream original of a
// stamped copy (//strata:copy upstream/<pkg>.<Name> h1:...) differs in the
// new release from the fingerprint in the stamp, or is gone. Bodies are
// compared normalised, so formatting and comments alone never count.
// `strata refresh` merges the change into the copy.
package copydrift
