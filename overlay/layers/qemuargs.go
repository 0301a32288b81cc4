package layers

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// Bounds on ex.qemuArgs.
const (
	MaxQemuArgs   = 256
	MaxQemuArgLen = 4096
)

var qemuArgsBlock = &layer.Block[[]string]{Name: "qemuArgs", Validate: validateQemuArgs}

// QemuArgs appends extra QEMU command-line arguments from an allow-list.
var QemuArgs = layer.Layer{
	Name: "qemu-args",
	Doc: `Extra QEMU command-line arguments, each option with its value matching one allow-list entry from config.

	"ex": {"qemuArgs": ["-global", "kvm-pit.lost_tick_policy=delay"]}

	layers.qemu_args.allow: ["-global kvm-pit\\.lost_tick_policy=(delay|discard)"]

An entry is a pattern for an option ("-global"), then optionally a space and
a pattern for its value; each matches in full. The arguments are read as
options (starting with "-"), each with the value that follows it when that
does not start with "-": an option with a value needs an entry with both
patterns, one without needs an entry without a value pattern, and a value
with no option before it is refused. Written as
<qemu:commandline><qemu:arg value="..."/></qemu:commandline>.`,
	Reads:   []string{"ex.qemuArgs", "config:layers.qemu_args.allow"},
	Writes:  []string{"/domain/qemu:commandline"},
	Ex:      qemuArgsBlock,
	Applies: func(c *layer.Context) bool { a := qemuArgsBlock.In(c); return a != nil && len(*a) > 0 },
	Apply:   applyQemuArgs,
	Records: true,
}

// QemuArgsRule is one allow-list entry, compiled.
type QemuArgsRule struct {
	Option, Value *regexp.Regexp // Value nil: the option takes no value
}

// CompileQemuArgsAllow compiles the allow-list. Each pattern must be a
// valid expression on its own (so "x)|(.*" cannot escape the anchors it is
// wrapped in) and matches in full. The agent calls it at config load so a
// bad pattern stops the start-up.
func CompileQemuArgsAllow(entries []string) ([]QemuArgsRule, error) {
	out := make([]QemuArgsRule, 0, len(entries))
	for i, e := range entries {
		opt, val, hasVal := strings.Cut(strings.TrimSpace(e), " ")
		field := fmt.Sprintf("layers.qemu_args.allow[%d]", i)
		var r QemuArgsRule
		var err error
		if r.Option, err = anchored(opt); err != nil {
			return nil, fmt.Errorf("%s: option pattern %q: %w", field, opt, err)
		}
		if hasVal {
			val = strings.TrimSpace(val)
			if r.Value, err = anchored(val); err != nil {
				return nil, fmt.Errorf("%s: value pattern %q: %w", field, val, err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// anchored compiles p, which must parse alone, to match whole strings only.
func anchored(p string) (*regexp.Regexp, error) {
	if p == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	if _, err := syntax.Parse(p, syntax.Perl); err != nil {
		return nil, err
	}
	return regexp.Compile(`^(?:` + p + `)$`)
}

// compiled caches the allow-list of a configuration: it is compiled once
// per distinct list (config load and reload check it first).
var compiled sync.Map // string (joined patterns) -> []QemuArgsRule

func allowRules(patterns []string) ([]QemuArgsRule, error) {
	key := strings.Join(patterns, "\x00")
	if r, ok := compiled.Load(key); ok {
		return r.([]QemuArgsRule), nil
	}
	r, err := CompileQemuArgsAllow(patterns)
	if err != nil {
		return nil, err
	}
	compiled.Store(key, r)
	return r, nil
}

func validateQemuArgs(a *[]string, c *layer.Check) error {
	args := *a
	if len(args) > MaxQemuArgs {
		return fmt.Errorf("ex.qemuArgs: %d arguments is more than %d", len(args), MaxQemuArgs)
	}
	for i, arg := range args {
		if len(arg) > MaxQemuArgLen {
			return fmt.Errorf("ex.qemuArgs[%d]: %d bytes is more than %d", i, len(arg), MaxQemuArgLen)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rules, err := allowRules(c.Config.QemuArgsAllow)
	if err != nil {
		return fmt.Errorf("config %w", err)
	}
	if len(rules) == 0 {
		return fmt.Errorf("ex.qemuArgs[0]: %q is not allowed: layers.qemu_args.allow is empty", truncate(args[0]))
	}
	for i := 0; i < len(args); i++ {
		opt := args[i]
		if !strings.HasPrefix(opt, "-") {
			return fmt.Errorf("ex.qemuArgs[%d]: %q is a value with no option before it", i, truncate(opt))
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			if !allowed(rules, opt, args[i+1], true) {
				return fmt.Errorf("ex.qemuArgs[%d..%d]: %q %q is not allowed by layers.qemu_args.allow", i, i+1, truncate(opt), truncate(args[i+1]))
			}
			i++
			continue
		}
		if !allowed(rules, opt, "", false) {
			return fmt.Errorf("ex.qemuArgs[%d]: %q (with no value) is not allowed by layers.qemu_args.allow", i, truncate(opt))
		}
	}
	return nil
}

func allowed(rules []QemuArgsRule, opt, val string, hasVal bool) bool {
	for _, r := range rules {
		if !r.Option.MatchString(opt) || (r.Value != nil) != hasVal {
			continue
		}
		if !hasVal || r.Value.MatchString(val) {
			return true
		}
	}
	return false
}

func applyQemuArgs(c *layer.Context) error {
	args, d := *qemuArgsBlock.In(c), c.Domain
	was := d.QEMUCommandline
	// a new <qemu:commandline>: the old one stays as it was
	var cl libvirtxml.DomainQEMUCommandline
	if was != nil {
		cl = *was
		cl.Args = slices.Clip(cl.Args) // appending copies: was keeps its arguments
	}
	for _, a := range args {
		cl.Args = append(cl.Args, libvirtxml.DomainQEMUCommandlineArg{Value: a})
	}
	d.QEMUCommandline = &cl
	c.Changed("/domain", d, layer.Before("qemu:commandline", was))
	return nil
}
