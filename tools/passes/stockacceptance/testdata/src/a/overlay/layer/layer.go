// Package layer is the overlay's patch-layer contract (a fixture's cut-down copy).
package layer

// Layer is one patch layer.
type Layer struct {
	Name      string
	Writes    []string
	Overrides []string
}
