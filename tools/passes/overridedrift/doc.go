// Package overridedrift reports override-drift (warning): the body of an
// upstream method that an overlay method overrides changed (normalised:
// formatting and comments alone do not count), so the override may need the
// same change. An override that is itself a stamped copy of the method it
// overrides is left to copy-drift, which says the same and offers refresh.
package overridedrift
