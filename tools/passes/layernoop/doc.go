// Package layernoop reports layer-no-op (error): an operator's declarative
// layer (`--layers agent.yaml`) that changed the stock domain of some
// corpus case under the old release and changes nothing in any case under
// the new one. Its selector matched an element the new release no longer
// emits (or emits differently), so the layer silently became a no-op on
// every VM like the corpus. Each entry runs alone on each stock domain,
// in a harness built inside each release tree with the overlay's own
// declarative code (package stockxml).
package layernoop
