// Package apibreak reports api-break (error): an upstream object the
// overlay uses is gone, or its type changed so that the overlay no longer
// builds against the new release.
//
// The overlay is type-checked against the new release; a used object that
// is missing or whose type changed is reported where a use of it fails to
// compile, so the finding agrees with the compiler. Compile errors on lines
// no changed symbol explains are reported too, naming the upstream symbols
// used there. The message quotes golang.org/x/exp/apidiff where it has a
// line for the symbol.
package apibreak
