// Package testbreak reports test-break: an overlay test (overlay, linux2,
// cmd/strata-agent) that passes under the old release and fails under the
// new one, or an overlay package whose tests no longer build for a reason
// api-break does not name. The tests run with `go test -json` in the
// materialised release trees (package gotest), so the report names the
// fixes a merge needs that no touch point shows: a test counting stock
// devices, a golden built over the stock XML.
//
// A failing test is an error at its function, with the failing subtests and
// the first lines of the failure. One that fails under the old release too
// is information: not the release's doing. Tests that pass once their
// packages' goldens are re-rendered (a run with -update in the preview
// copy) are one warning naming the re-render command: the goldens follow
// the stock XML and the diff of them is for a person to read.
//
// diff and import run it (--no-tests skips it); check does not: the lock
// holds no test results, and the CI gate runs the real tests itself.
package testbreak
