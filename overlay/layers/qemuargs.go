package layers

import (
	"fmt"
	"regexp"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// QemuArgs appends extra QEMU command-line arguments from an allow-list.
var QemuArgs = layer.Layer{
	Name: "qemu-args",
	Doc: `Extra QEMU command-line arguments, each matching an allow-list regexp from config in full.

	"ex": {"qemuArgs": ["-global", "kvm-pit.lost_tick_policy=delay"]}

	layers.qemu_args.allow: ["-global", "kvm-pit\\.lost_tick_policy=(delay|discard)"]

Written as <qemu:commandline><qemu:arg value="..."/></qemu:commandline>;
an argument no pattern matches is refused, naming it.`,
	Reads:   []string{"ex.qemuArgs", "config:layers.qemu_args.allow"},
	Writes:  []string{"/domain/qemu:commandline"},
	Applies: func(c *layer.Context) bool { e := ex(c); return e != nil && len(e.QemuArgs) > 0 },
	Apply:   applyQemuArgs,
}

// CompileQemuArgsAllow compiles the allow-list as full-match patterns; the
// agent calls it at config load so a bad pattern stops the start-up.
func CompileQemuArgsAllow(patterns []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			return nil, fmt.Errorf("layers.qemu_args.allow[%d]: %w", i, err)
		}
		out = append(out, re)
	}
	return out, nil
}

func applyQemuArgs(c *layer.Context) error {
	args, d := ex(c).QemuArgs, c.Domain
	allow, err := CompileQemuArgsAllow(c.Config.QemuArgsAllow)
	if err != nil {
		return fmt.Errorf("config %w", err)
	}
	for i, a := range args {
		ok := false
		for _, re := range allow {
			if re.MatchString(a) {
				ok = true
				break
			}
		}
		if !ok {
			if len(allow) == 0 {
				return fmt.Errorf("ex.qemuArgs[%d]: %q is not allowed: layers.qemu_args.allow is empty", i, a)
			}
			return fmt.Errorf("ex.qemuArgs[%d]: %q is not allowed by layers.qemu_args.allow", i, a)
		}
	}
	if d.QEMUCommandline == nil {
		d.QEMUCommandline = &libvirtxml.DomainQEMUCommandline{}
	}
	for _, a := range args {
		d.QEMUCommandline.Args = append(d.QEMUCommandline.Args, libvirtxml.DomainQEMUCommandlineArg{Value: a})
	}
	return nil
}
