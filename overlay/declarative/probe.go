package declarative

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Load-time probes. Each thing an op names (its path, each match property,
// each property it sets or unsets, its fragment) is written into a small
// skeleton domain and round-tripped through libvirtxml: whatever does not
// come back is refused now, naming the element.
//
// libvirtxml reads some elements by a discriminating attribute (a disk's
// source by the disk's type, any <address> by its type), so a property that
// exists for one variant only would look unknown in a skeleton without it.
// The probe therefore tries the variants below, absent last, where the op
// itself does not fix the attribute; what no variant can hold is refused,
// and the message comes from the first variant that read back at all.

type discriminator struct {
	at     string // path relative to /domain; "*/address" is any address
	attr   string
	values []string
}

var chardevTypes = []string{"pty", "unix", "tcp", "udp", "file", "dev", "pipe", "spicevmc", "null", "vc", "stdio", "spiceport", "nmdm", "qemu-vdagent", "dbus", ""}

var discriminators = []discriminator{
	{"devices/disk", "type", []string{"file", "block", "network", "dir", "volume", "nvme", "vhostuser", "vhostvdpa", ""}},
	{"devices/interface", "type", []string{"bridge", "network", "direct", "user", "ethernet", "vhostuser", "hostdev", "server", "client", "mcast", "udp", "vdpa", "null", "vds", ""}},
	{"devices/input", "type", []string{"tablet", "mouse", "keyboard", "passthrough", "evdev", ""}},
	{"devices/filesystem", "type", []string{"mount", "block", "file", "template", "ram", "bind", "volume", ""}},
	{"devices/smartcard", "mode", []string{"host", "passthrough"}},
	{"devices/tpm/backend", "type", []string{"passthrough", "emulator", "external", ""}},
	{"devices/serial", "type", chardevTypes},
	{"devices/console", "type", chardevTypes},
	{"devices/parallel", "type", chardevTypes},
	{"devices/channel", "type", chardevTypes},
	{"devices/channel/target", "type", []string{"virtio", "guestfwd", "xen", ""}},
	{"devices/redirdev", "type", chardevTypes},
	{"devices/rng/backend", "model", []string{"random", "egd", "builtin", ""}},
	{"devices/hostdev", "mode", []string{"subsystem", "capabilities", ""}},
	{"devices/hostdev", "type", []string{"pci", "usb", "scsi", "scsi_host", "mdev", "storage", "misc", "net", ""}},
	{"devices/graphics", "type", []string{"vnc", "spice", "sdl", "rdp", "desktop", "egl-headless", "dbus", ""}},
	{"devices/graphics/listen", "type", []string{"address", "network", "socket", "none", ""}},
	{"devices/audio", "type", []string{"none", "alsa", "coreaudio", "jack", "oss", "pulseaudio", "sdl", "spice", "file", "dbus", "pipewire", ""}},
	{"devices/crypto/backend", "model", []string{"builtin", "lkcf", ""}},
	{"devices/controller", "type", []string{"usb", "pci", "virtio-serial", "scsi", "ide", "sata", "fdc", "ccid", "xenbus", "isa", "nvme", ""}},
	{"*/address", "type", []string{"pci", "drive", "usb", "virtio-serial", "ccw", "isa", "dimm", "ccid", "virtio-mmio", "spapr-vio", "virtio-s390", "unassigned", ""}},
	{"launchSecurity", "type", []string{"sev", "sev-snp", "tdx", "s390-pv", ""}},
	{"sysinfo", "type", []string{"smbios", "fwcfg", ""}},
	{"os/nvram", "type", []string{"file", "block", "network", ""}},
}

// probeValues stand in for a property whose value the op does not give
// (unset, match with an empty value): one of them fits libvirtxml's field
// type, whatever it is.
var probeValues = []string{"1", "yes", "on", "x"}

// maxProbes bounds the variants tried per probe.
const maxProbes = 600

// probeCache remembers probe outcomes by what the op says, so a config of
// many entries making one edit (a per-VM tweak per VM) probes it once.
type probeCache struct{ seen map[string]error }

func newProbeCache() *probeCache { return &probeCache{seen: map[string]error{}} }

// probe runs probeOp(c) unless an op written the same way was probed.
func (pc *probeCache) probe(o *Op, c *compiledOp) error {
	if pc == nil {
		return probeOp(c)
	}
	key, err := json.Marshal(o)
	if err != nil {
		return probeOp(c)
	}
	c.key = string(key)
	if err, ok := pc.seen[string(key)]; ok {
		return err
	}
	err = probeOp(c)
	pc.seen[string(key)] = err
	return err
}

// probeOp runs the op's probes, first failure first.
func probeOp(c *compiledOp) error {
	// The path alone. An element holding only text (devices/emulator) needs
	// some text to be kept at all.
	if err := probe(c, func(sel, tgt *etree.Element) []dim {
		return []dim{{el: tgt, text: true, values: []string{"1", ""}}}
	}); err != nil {
		return prefixField("path", err)
	}
	for i, m := range c.match {
		m := m
		if err := probe(c, func(sel, tgt *etree.Element) []dim {
			return propDims(sel, m)
		}); err != nil {
			return prefixField(fmt.Sprintf("match[%d]", i), err)
		}
	}
	return c.op.probe(c)
}

// withMatch writes the op's match properties on the selected element.
func withMatch(c *compiledOp, sel *etree.Element) {
	for _, m := range c.match {
		if m.value != "" {
			setProp(sel, m.prop, m.value)
		}
	}
}

// probeProps probes each property of a set or unset, naming it.
func probeProps(c *compiledOp, props []propValue, kind string) error {
	for i, pv := range props {
		field := fmt.Sprintf("unset[%d]", i)
		if kind == "set" {
			field = "set[" + pv.prop.String() + "]"
		}
		if err := probe(c, func(sel, tgt *etree.Element) []dim {
			withMatch(c, sel)
			return propDims(tgt, pv)
		}); err != nil {
			return prefixField(field, err)
		}
	}
	return nil
}

// dim is one attribute (or an element's text) whose value the probe varies.
type dim struct {
	el     *etree.Element
	attr   string
	text   bool
	values []string // "" leaves the attribute out
}

func (d dim) set(v string) {
	switch {
	case d.text:
		d.el.SetText(v)
	case v == "":
		removeAttr(d.el, d.attr)
	default:
		setAttr(d.el, d.attr, v)
	}
}

// propDims writes pv on e; a property without a value becomes a dimension.
func propDims(e *etree.Element, pv propValue) []dim {
	if pv.value != "" {
		setProp(e, pv.prop, pv.value)
		return nil
	}
	setProp(e, pv.prop, probeValues[0])
	for _, s := range pv.prop.subs {
		e = firstChild(e, s)
	}
	if pv.prop.text() {
		return []dim{{el: e, text: true, values: probeValues}}
	}
	return []dim{{el: e, attr: pv.prop.attr, values: probeValues}}
}

// probe builds the skeleton of c's path, lets fill write into it (sel is
// the element the selector picks, tgt the one at the path), and tries the
// variants until one reads back whole.
func probe(c *compiledOp, fill func(sel, tgt *etree.Element) []dim) error {
	doc := etree.NewDocument()
	root := doc.CreateElement("domain")
	root.CreateAttr("type", "kvm")
	sel, tgt := root, root
	for i, s := range c.segs {
		tgt = tgt.CreateElement(s)
		if i == c.level()-1 {
			sel = tgt
		}
	}
	dims := fill(sel, tgt)
	if tgt != root && tgt.Parent() != nil && empty(tgt) {
		// An element that holds only text (serial, wwn, an iotune limit)
		// needs some to be kept at all, whatever else the probe writes.
		dims = append(dims, dim{el: tgt, text: true, values: []string{"", "1"}})
	}
	dims = append(dims, discriminatorDims(root, nil)...)

	var firstLost, firstRead error
	idx := make([]int, len(dims))
	for n := 0; n < maxProbes; n++ {
		for i, d := range dims {
			d.set(d.values[idx[i]])
		}
		_, err := readBack(doc)
		if err == nil {
			return nil
		}
		var le *LostError
		var re *readError
		switch {
		case errors.As(err, &le):
			if firstLost == nil {
				firstLost = le
			}
		case errors.As(err, &re):
			if firstRead == nil {
				firstRead = re
			}
		default:
			return err
		}
		if !next(idx, dims) {
			break
		}
	}
	if firstLost != nil {
		return firstLost
	}
	return firstRead
}

// next advances the odometer; false when every variant was tried.
func next(idx []int, dims []dim) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < len(dims[i].values) {
			return true
		}
		idx[i] = 0
	}
	return false
}

// discriminatorDims lists the skeleton's discriminating attributes the op
// left unset.
func discriminatorDims(e *etree.Element, where []string) []dim {
	var out []dim
	if len(where) > 0 {
		p := strings.Join(where, "/")
		for _, d := range discriminators {
			at := d.at
			hit := at == p
			if strings.HasPrefix(at, "*/") {
				hit = where[len(where)-1] == strings.TrimPrefix(at, "*/")
			}
			if hit && attr(e, d.attr) == nil {
				out = append(out, dim{el: e, attr: d.attr, values: d.values})
			}
		}
	}
	for _, ch := range e.ChildElements() {
		out = append(out, discriminatorDims(ch, append(where[:len(where):len(where)], ch.Tag))...)
	}
	return out
}
