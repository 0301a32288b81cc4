// Package layer is the patch-layer contract of the overlay: a Layer is one
// named, ordered change to the stock domain, and a Chain runs layers in the
// order of one list while recording which layer wrote each domain path.
//
// Domain paths are stable strings (the release-merge tool compares them with
// each release's stock XML), in two forms:
//
//   - a declared path, as in Layer.Writes: element names from the root and an
//     optional final attribute, no predicates: "/domain/os/loader",
//     "/domain/devices/interface/driver/@queues";
//   - a recorded path, as in Change.Path: the declared form with a key
//     predicate on repeated elements, so one device is told from another:
//     "/domain/devices/interface[mac=fa:16:3e:00:00:01]/driver/@queues",
//     "/domain/devices/disk[target=vda]/driver/@io", "/domain/cputune/vcpupin[vcpu=0]".
//
// Change.Declared (provenance.Declared) strips the predicates of a recorded
// path, giving the form Writes uses. The full rules, with the key of each
// repeated element, are in package provenance.
package layer

import (
	"context"
	"log/slog"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/provenance"
)

// Layer is one patch layer. A Go layer is a package-level value in one file
// under overlay/layers; a declarative layer is built from the agent's config.
type Layer struct {
	// Name is unique among all layers: lower-case, dashes ("uefi", "nic-multiqueue").
	Name string
	// Doc opens with a one-line summary, then an example.
	Doc string
	// Reads lists the ex fields ("ex.hugepages.size") and config keys
	// ("config:layers.qemu_args.allow") the layer reads.
	Reads []string
	// Writes lists the declared domain paths the layer may set, add or remove.
	Writes []string
	// Overrides names layers this one deliberately wins over: a path both
	// write is then an acknowledged win, not a conflict.
	Overrides []string
	// Ex is the layer's own block of the command's ex object (a Go layer's;
	// nil for a declarative one). It is decoded and validated before the
	// VM's lock is taken (DecodeEx).
	Ex ExBlock
	// Applies reports whether the layer has anything to do for this command.
	// A nil Applies means: its ex block is present, or always when it has none.
	Applies func(*Context) bool
	// Apply changes c.Domain. Errors name the field: "ex.hugepages.size: ...".
	Apply func(*Context) error
	// Records: Apply reports each change it makes with c.Changed, and the
	// chain takes no snapshot of the layer's part to compare. A write the
	// layer does not report is caught by the full diff (tests, and one
	// start in layers.provenance_check_every), which must show exactly
	// what the layer reported; a reported write outside Writes is refused
	// on every start.
	Records bool
}

// Host is what layers ask of the machine (implemented over linux2); render
// passes one that answers from configuration alone.
type Host interface {
	// OnlineCPUs lists the host's online CPU ids.
	OnlineCPUs() ([]int, error)
	// FreeHugepages returns the free pages of the given size in KiB.
	FreeHugepages(sizeKiB uint64) (uint64, error)
	// OVMF finds the firmware: code and vars template paths for secure boot on or off.
	OVMF(secureBoot bool) (code, varsTemplate string, err error)
	// HasVhostNet reports whether /dev/vhost-net exists.
	HasVhostNet() bool
}

// LibvirtVersioner is a Host that can say which libvirt runs the domains
// (libvirt's encoding: 9002000 for 9.2.0). Optional: a layer whose output
// needs a newer libvirt checks it when the Host can tell, and render's
// offline host cannot.
type LibvirtVersioner interface {
	LibvirtVersion() (uint32, error)
}

// Config is the agent configuration the layers read.
type Config struct {
	// QemuArgsAllow lists the regular expressions an extra QEMU argument must
	// match in full (config key layers.qemu_args.allow).
	QemuArgsAllow []string
	// NVRAMDir is where per-VM UEFI variable stores live (layers.uefi.nvram_dir).
	NVRAMDir string
	// ConflictPolicy is "fail" (default) or "warn" for request-time conflicts.
	ConflictPolicy string
}

// Context is what a layer works on.
type Context struct {
	Ctx    context.Context
	Cmd    *excmd.StartVmExCmd
	Domain *libvirtxml.Domain
	Host   Host
	Config Config
	Log    *slog.Logger
	// StockXML is the stock domain as the builder marshalled it
	// (vmplugin.MarshalDomain), when the caller has it: the chain then does
	// not marshal it again. Empty: the chain marshals it if it needs it.
	StockXML string
	// KeepStock fills Result.StockXML (render --diff); a start needs it not.
	KeepStock bool
	// FullDiff cross-checks the provenance recorded per layer against a
	// diff of the whole domain after each layer (tests, and a sample of
	// requests): a write outside the layer's declared parts is caught.
	FullDiff bool
	// Explain fills Change.New and Old of an added or removed element with
	// its summary (render --explain); a start needs only the paths and
	// attribute values, and a summary costs a marshal of the element.
	// FullDiff implies it (the cross-check compares summaries too).
	Explain bool

	rec *provenance.Rec // the running layer's, when it records its writes
}

// Before is provenance.Before: a child element field as it was before an
// edit, for Changed.
func Before(name string, value any) provenance.Field { return provenance.Before(name, value) }

// AddedXML reports, for a layer that records its writes, that it
// appended fragment (one element, raw XML declaring its own namespace) to
// the raw inner XML of the element at parent ("/domain/metadata"), where no
// other element of its name is (provenance.Rec.AddedXML).
func (c *Context) AddedXML(parent, fragment string) {
	if c != nil && c.rec != nil {
		c.rec.AddedXML(parent, fragment)
	}
}

// Changed reports, for a layer that records its writes (Layer.Records),
// that it changed the named child fields of parent, a pointer to the
// element at path ("/domain/devices", d.Devices); before holds their old
// values. Report edits in document order (the order of the XML), one call
// per element; the edit must leave the old values intact (replace what it
// changes, a new pointer or slice). A no-op outside a chain.
func (c *Context) Changed(path string, parent any, before ...provenance.Field) {
	if c != nil && c.rec != nil {
		c.rec.Changed(path, parent, before...)
	}
}

// applies reports whether l has work for this command.
func (l Layer) applies(c *Context) bool {
	if l.Applies != nil {
		return l.Applies(c)
	}
	if l.Ex != nil {
		if c.Cmd == nil {
			return false
		}
		_, ok := c.Cmd.Blocks[l.Ex.Key()]
		return ok
	}
	return true
}

// Op is how a path changed (provenance.Op).
type Op = provenance.Op

const (
	OpSet     = provenance.OpSet     // an attribute or text value changed
	OpAdded   = provenance.OpAdded   // an element or attribute that was absent
	OpRemoved = provenance.OpRemoved // an element or attribute that was present
)

// Change is one recorded write: which layer did what at which path
// (provenance.Change; its paths are documented in package provenance).
type Change = provenance.Change
