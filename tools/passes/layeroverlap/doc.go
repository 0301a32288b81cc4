// Package layeroverlap reports layer-overlap (error): xml-overlap for an
// operator's declarative layers (`--layers agent.yaml`). For the stock
// start command corpus, the stock XML under the new release differs from
// the old one at a path a declarative entry changed under the old release
// (its declared writes when it changed nothing), so the release changes
// the XML the operator's layer writes without a word in the repository.
// The comparison is xml-overlap's; each entry runs alone on each stock
// domain in a harness built inside each release tree (package stockxml).
package layeroverlap
