// Package xmloverlap reports xml-overlap (error): for the stock start
// command corpus, the stock XML under the new release differs from the old
// one at a domain path some patch layer writes (its declared Writes),
// including a path that is now present where the layer used to create it
// (libvirt would refuse a duplicate). The corpus is rendered by a harness
// built against each release (package stockxml). A case either release
// refuses is no evidence (its refusal is a stock-acceptance finding), and
// namespaced paths match by namespace, whatever prefix the XML uses.
package xmloverlap
