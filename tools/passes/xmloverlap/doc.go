// Package xmloverlap reports xml-overlap (error): for the stock start
// command corpus, the stock XML under the new release differs from the old
// one at a domain path some patch layer writes, including a path that is
// now present where the layer used to create it (libvirt would refuse a
// duplicate). Where the overlay's explain goldens show a layer writing (its
// provenance over the ex corpus), the paths compared are the exact ones it
// was recorded writing (disk[target=hdc], not every disk); a layer no
// golden exercises is compared at its declared Writes. The corpus is
// rendered by a harness built against each release (package stockxml). A
// case either release refuses is no evidence (its refusal is a
// stock-acceptance finding), and namespaced paths match by namespace,
// whatever prefix the XML uses.
package xmloverlap
