package vmplugin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// Step is one make_* function of from_StartVmCmd, under the seed's name.
type Step struct {
	Name string
	Make func(*BuildContext) error
}

// Steps is from_StartVmCmd's call order. The order matters beyond the
// sections: devices of one kind (disks, controllers, channels, hostdevs)
// are listed in the order the steps append them. Each call returns a fresh
// slice, so a caller's edit never changes what Build runs.
func Steps() []Step { return slices.Clone(steps) }

var steps = []Step{
	{"make_root", MakeRoot},
	{"make_meta", MakeMeta},
	{"make_cpu", MakeCPU},
	{"make_memory", MakeMemory},
	{"make_os", MakeOS},
	{"make_features", MakeFeatures},
	{"make_devices", MakeDevices},
	{"make_video", MakeVideo},
	{"make_audio_microphone", MakeAudioMicrophone},
	{"make_nics", MakeNics},
	{"make_volumes", MakeVolumes},
	{"make_cdrom", MakeCdrom},
	{"make_graphic_console", MakeGraphicConsole},
	{"make_usb_redirect", MakeUsbRedirect},
	{"make_addons", MakeAddons},
	{"make_balloon_memory", MakeBalloonMemory},
	{"make_console", MakeConsole},
	{"make_sec_label", MakeSecLabel},
	{"make_controllers", MakeControllers},
}

// serializationError is a failure the seed only meets in etree.tostring,
// after every step has run (an attribute left None). A step returning one
// has finished its work; Build runs the remaining steps and reports it only
// if none of them fails, so the seed's earlier-raised error wins as it
// does there.
type serializationError struct{ error }

func (e serializationError) Unwrap() error { return e.error }

// Build is Vm.from_StartVmCmd: it runs Steps() in order over an empty Domain
// and stops at the first failure, naming the step (`make_volumes: ...`);
// a serializationError is reported after the last step instead.
// It does not call Validate: the seed builds whatever it is given, and the
// caller decides whether to reject first.
func Build(ctx context.Context, cmd *StartVmCmd, cfg Config, host Host) (*libvirtxml.Domain, error) {
	if cmd == nil {
		return nil, errors.New("build domain: nil StartVmCmd")
	}
	if host == nil {
		return nil, errors.New("build domain: nil Host")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	bc := &BuildContext{Ctx: ctx, Cmd: cmd, Config: cfg, Host: host, Domain: &libvirtxml.Domain{}}
	var late error
	for _, s := range steps {
		// Steps may call the host (qemu-img, iscsiadm, libvirt secrets), so a
		// cancelled request stops between them.
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if err := s.Make(bc); err != nil {
			if se := (serializationError{}); !errors.As(err, &se) {
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			if late == nil {
				late = fmt.Errorf("%s: %w", s.Name, err)
			}
		}
	}
	if late != nil {
		return nil, late
	}
	return bc.Domain, nil
}

// qemuNamespaceAttr is the seed's literal root attribute. libvirtxml has no
// field for an unused namespace declaration, so MarshalDomain adds it.
const qemuNamespaceAttr = ` xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"`

// MarshalDomain marshals d as libvirt XML, puts the seed's xmlns:qemu
// declaration into the root start tag, and puts the children of USB
// hostdev sources in the order libvirt's schema requires.
func MarshalDomain(d *libvirtxml.Domain) (string, error) {
	if d == nil {
		return "", errors.New("marshal domain: nil Domain")
	}
	x, err := d.Marshal()
	if err != nil {
		return "", fmt.Errorf("marshal domain: %w", err)
	}
	x = orderUSBHostdevSources(x)
	// The encoder escapes '>' in attribute values, so the first '>' ends the
	// root start tag. A domain that already declares the prefix (for example
	// one carrying qemu:commandline) is left alone.
	end := strings.IndexByte(x, '>')
	if end < 0 || !strings.HasPrefix(x, "<domain") {
		return "", fmt.Errorf("marshal domain: unexpected root in %.40q", x)
	}
	if strings.Contains(x[:end], "xmlns:qemu=") {
		return x, nil
	}
	at := end
	if x[end-1] == '/' {
		at = end - 1
	}
	return x[:at] + qemuNamespaceAttr + x[at:], nil
}

// usbSourceRank is the schema's order of a USB hostdev's <source> children:
// vendor, product, then address. libvirtxml writes address, product,
// vendor and the seed address, vendor, product; libvirt's parser accepts
// any order, its RelaxNG schema only this one.
var usbSourceRank = map[string]int{"vendor": 0, "product": 1, "address": 2}

// orderUSBHostdevSources reorders the children of each
// <hostdev ... type="usb"> <source> block of libvirtxml's indented output,
// where every child is a leaf on its own line.
func orderUSBHostdevSources(x string) string {
	const hostdevTag, usbType = "<hostdev ", ` type="usb"`
	var b strings.Builder
	for {
		i := strings.Index(x, hostdevTag)
		if i < 0 {
			b.WriteString(x)
			return b.String()
		}
		tagEnd := strings.IndexByte(x[i:], '>')
		if tagEnd < 0 || !strings.Contains(x[i:i+tagEnd], usbType) {
			b.WriteString(x[:i+len(hostdevTag)])
			x = x[i+len(hostdevTag):]
			continue
		}
		// The block runs from the end of <source ...> to </source>; a USB
		// hostdev has exactly one source.
		open := strings.Index(x[i:], "<source")
		end := strings.Index(x[i:], "</hostdev>")
		if open < 0 || end < 0 || open > end {
			b.WriteString(x[:i+len(hostdevTag)])
			x = x[i+len(hostdevTag):]
			continue
		}
		open += i
		body := open + strings.IndexByte(x[open:], '>') + 1
		closing := strings.Index(x[body:], "</source>")
		if closing < 0 {
			b.WriteString(x[:i+len(hostdevTag)])
			x = x[i+len(hostdevTag):]
			continue
		}
		closing += body
		b.WriteString(x[:body])
		b.WriteString(sortSourceLines(x[body:closing]))
		x = x[closing:]
	}
}

// sortSourceLines stably sorts the child lines of a source block by
// usbSourceRank, keeping the surrounding whitespace.
func sortSourceLines(block string) string {
	lines := strings.Split(block, "\n")
	if len(lines) < 3 {
		return block // not the indented one-child-per-line form
	}
	children := lines[1 : len(lines)-1]
	rank := func(l string) int {
		name := strings.TrimLeft(l, " \t<")
		if j := strings.IndexAny(name, " />"); j >= 0 {
			name = name[:j]
		}
		if r, ok := usbSourceRank[name]; ok {
			return r
		}
		return len(usbSourceRank)
	}
	sort.SliceStable(children, func(a, b int) bool { return rank(children[a]) < rank(children[b]) })
	return strings.Join(lines, "\n")
}
