// Package staleoverride reports stale-override (error): a layer's
// `overrides:` names a layer that no longer writes any path the
// overriding layer writes under the new release, so the acknowledged win
// is over nothing and would hide a real overlap added later. It checks the
// operator's declarative entries (`--layers agent.yaml`: what each entry
// changed over the stock corpus under the new release, else its declared
// writes) and the repository's Go layers (their declared Overrides and
// Writes, as the new release tree's overlay/layers.Order has them). An
// override naming no layer at all is reported too.
package staleoverride
