package declarative

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Entry is one item of layers.declarative: a named layer that edits the
// domains of the VMs its selector picks.
type Entry struct {
	// Name is unique among all layers, Go and declarative: lower-case, dashes.
	Name string `koanf:"name" yaml:"name" json:"name"`
	// Doc is an optional one-line summary shown by `strata-agent layers`.
	Doc string `koanf:"doc" yaml:"doc,omitempty" json:"doc,omitempty"`
	// Before and After name the Go layer this one runs next to; exactly one is set.
	Before string `koanf:"before" yaml:"before,omitempty" json:"before,omitempty"`
	After  string `koanf:"after" yaml:"after,omitempty" json:"after,omitempty"`
	// Overrides names layers this one deliberately wins over.
	Overrides []string `koanf:"overrides" yaml:"overrides,omitempty" json:"overrides,omitempty"`
	// Select picks the VMs; every criterion given must hold.
	Select VMSelector `koanf:"select" yaml:"select" json:"select"`
	// Ops run in order on the marshalled domain.
	Ops []Op `koanf:"ops" yaml:"ops" json:"ops"`

	// ready is set by a successful Provision + Validate: the compiled form
	// the layer runs. It is immutable, so copies of an Entry share it safely.
	ready *compiled
}

// VMSelector picks VMs by the start command. Empty fields do not constrain;
// at least one must be set (`name: "*"` selects every VM).
type VMSelector struct {
	// UUID is the VM's uuid (vmInstanceUuid), with or without dashes.
	UUID string `koanf:"uuid" yaml:"uuid,omitempty" json:"uuid,omitempty"`
	// Name is a path.Match glob over the VM's name (vmName).
	Name string `koanf:"name" yaml:"name,omitempty" json:"name,omitempty"`
	// Tag is "key=value", matched against ex.tags.
	Tag string `koanf:"tag" yaml:"tag,omitempty" json:"tag,omitempty"`
}

// Op is one edit in virt-xml's vocabulary: a target element, a device
// selector, and exactly one of Set, Unset, Create, Delete, Merge, Add.
type Op struct {
	// Path is the target element relative to /domain: "devices/disk",
	// "devices/interface/driver", "os/loader", "features/pmu"; "/domain"
	// is the root itself. A leading "/domain/" is accepted and dropped.
	Path string `koanf:"path" yaml:"path" json:"path"`

	// The device selector. Under devices/<kind> it picks devices of that
	// kind (the rest of the path is then found inside each picked device);
	// elsewhere it picks among the elements at Path. Match filters first;
	// then First (the default), Nth (1-based) or All picks among the rest.
	First bool     `koanf:"first" yaml:"first,omitempty" json:"first,omitempty"`
	Nth   int      `koanf:"nth" yaml:"nth,omitempty" json:"nth,omitempty"`
	All   bool     `koanf:"all" yaml:"all,omitempty" json:"all,omitempty"`
	Match []string `koanf:"match" yaml:"match,omitempty" json:"match,omitempty"`

	// Set maps a property to a value: "io" (an attribute), "driver.io" (an
	// attribute of a sub-element, created when missing), "#text" or
	// "serial.#text" (element text). An empty value unsets, as virt-xml does.
	Set map[string]string `koanf:"set" yaml:"set,omitempty" json:"set,omitempty"`
	// Unset lists properties (same syntax as Set's keys) to remove.
	Unset []string `koanf:"unset" yaml:"unset,omitempty" json:"unset,omitempty"`
	// Create adds the element at Path with these attributes when it is
	// missing, and leaves an existing one alone (`create: {}` for none).
	Create map[string]string `koanf:"create" yaml:"create,omitempty" json:"create,omitempty"`
	// Delete removes the selected elements.
	Delete bool `koanf:"delete" yaml:"delete,omitempty" json:"delete,omitempty"`
	// Merge is an XML fragment whose root is named like Path's last element:
	// its attributes are set on the selected element, its text replaces the
	// element's, and each child merges into the first child of the same
	// name or is appended when there is none.
	Merge string `koanf:"merge" yaml:"merge,omitempty" json:"merge,omitempty"`
	// Add is an XML fragment appended as a new element at Path (a second
	// NIC, disk, channel or vcpupin), whether or not one of its kind exists.
	Add string `koanf:"add" yaml:"add,omitempty" json:"add,omitempty"`

	// Require makes "nothing selected" an error at request time instead of
	// a no-op for that VM.
	Require bool `koanf:"require" yaml:"require,omitempty" json:"require,omitempty"`

	ready *compiledOp // set by a successful Validate; immutable
}

// Provisioner fills defaults and compiles; Validator rejects bad config.
// Both run at load, as Caddy's module interfaces of the same names do.
type (
	Provisioner interface{ Provision() error }
	Validator   interface{ Validate() error }
)

// Interface guards.
var (
	_ Provisioner = (*Entry)(nil)
	_ Validator   = (*Entry)(nil)
	_ Provisioner = (*Op)(nil)
	_ Validator   = (*Op)(nil)
)

// fieldError is an error at one key inside an entry ("ops[0].match").
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.err.Error()
	}
	return e.field + ": " + e.err.Error()
}
func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(field string, format string, a ...any) *fieldError {
	return &fieldError{field: field, err: fmt.Errorf(format, a...)}
}

// prefixField puts parent in front of a fieldError's key, so an Op's error
// reads "ops[1].match" at the entry level.
func prefixField(parent string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fieldError
	if errors.As(err, &fe) {
		f := parent
		if fe.field != "" {
			f += "." + fe.field
		}
		return &fieldError{field: f, err: fe.err}
	}
	return &fieldError{field: parent, err: err}
}

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	xmlNameRE  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.-]*:)?[A-Za-z_][A-Za-z0-9_.-]*$`)
	uuidHexRE  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	tagKeyRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	textPseudo = "#text"
)

// Provision normalises the entry and its ops. It does not judge them: that
// is Validate's job, which needs the normalised form.
func (e *Entry) Provision() error {
	e.ready = nil
	e.Name = strings.TrimSpace(e.Name)
	e.Before = strings.TrimSpace(e.Before)
	e.After = strings.TrimSpace(e.After)
	e.Select.UUID = strings.ToLower(strings.TrimSpace(e.Select.UUID))
	for i := range e.Ops {
		if err := e.Ops[i].Provision(); err != nil {
			return prefixField(fmt.Sprintf("ops[%d]", i), err)
		}
	}
	return nil
}

// Validate checks the entry and compiles it; only a validated entry makes a
// layer. Every op's paths, properties and fragment are round-tripped through
// libvirtxml here, so what it cannot hold is refused now, not at a request.
func (e *Entry) Validate() error { return e.validate(nil) }

func (e *Entry) validate(cache *probeCache) error {
	e.ready = nil
	if e.Name == "" {
		return fieldErr("name", "is required")
	}
	if len(e.Name) > maxNameLen {
		return fieldErr("name", "%d bytes: at most %d", len(e.Name), maxNameLen)
	}
	if !nameRE.MatchString(e.Name) {
		return fieldErr("name", "%q: use lower-case letters, digits and dashes", e.Name)
	}
	if len(e.Doc) > maxDocLen {
		return fieldErr("doc", "%d bytes: at most %d", len(e.Doc), maxDocLen)
	}
	if len(e.Overrides) > maxSetKeys {
		return fieldErr("overrides", "%d layers: at most %d", len(e.Overrides), maxSetKeys)
	}
	switch {
	case e.Before == "" && e.After == "":
		return fieldErr("", "one of before: or after: (a Go layer's name) is required")
	case e.Before != "" && e.After != "":
		return fieldErr("after", "before: %q and after: %q are both set; give exactly one", e.Before, e.After)
	}
	for i, o := range e.Overrides {
		if o == "" || o == e.Name {
			return fieldErr(fmt.Sprintf("overrides[%d]", i), "%q: a layer name other than this one", o)
		}
	}
	vm, err := e.Select.compile()
	if err != nil {
		return prefixField("select", err)
	}
	if len(e.Ops) == 0 {
		return fieldErr("ops", "at least one operation is required")
	}
	if len(e.Ops) > maxOps {
		return fieldErr("ops", "%d operations: at most %d per entry", len(e.Ops), maxOps)
	}
	c := &compiled{vm: vm}
	for i := range e.Ops {
		op := &e.Ops[i]
		if err := op.validate(cache); err != nil {
			return prefixField(fmt.Sprintf("ops[%d]", i), err)
		}
		for _, w := range op.ready.writes {
			if id := identityPath(w); id != "" {
				return fieldErr(fmt.Sprintf("ops[%d].path", i), "writes %s (declared %s): the agent finds VMs by their name and uuid, so no layer may change them", id, w)
			}
		}
		c.ops = append(c.ops, op.ready)
	}
	e.ready = c
	if cache == nil {
		// alone (Validate, Place): the schema check of its ops now;
		// Load checks a whole config's in one run
		refused, err := checkSchema([]*Entry{e})
		if err != nil {
			e.ready = nil
			return err
		}
		if err := refused[0]; err != nil {
			e.ready = nil
			return err
		}
	}
	return nil
}

// identityPaths are what the agent finds a VM's domain by.
var identityPaths = []string{"/domain/name", "/domain/uuid"}

// identityPath is the identity path a declared write covers or lies
// under, or "".
func identityPath(w string) string {
	for _, id := range identityPaths {
		if w == id || strings.HasPrefix(w, id+"/") {
			return id
		}
	}
	return ""
}

// prepare runs Provision and Validate unless they already succeeded.
func (e *Entry) prepare() error {
	if e.ready != nil {
		return nil
	}
	if err := e.Provision(); err != nil {
		return err
	}
	return e.Validate()
}

// compile checks the VM selector's syntax.
func (s VMSelector) compile() (vmSelector, error) {
	var v vmSelector
	if s.UUID == "" && s.Name == "" && s.Tag == "" {
		return v, fieldErr("", "give at least one of uuid, name (a glob; \"*\" for every VM) or tag")
	}
	for _, f := range []struct{ key, v string }{{"uuid", s.UUID}, {"name", s.Name}, {"tag", s.Tag}} {
		if len(f.v) > maxNameLen {
			return v, fieldErr(f.key, "%d bytes: at most %d", len(f.v), maxNameLen)
		}
	}
	if s.UUID != "" {
		v.uuid = strings.ReplaceAll(s.UUID, "-", "")
		if !uuidHexRE.MatchString(v.uuid) {
			return v, fieldErr("uuid", "%q is not a uuid", s.UUID)
		}
	}
	if s.Name != "" {
		if _, err := path.Match(s.Name, ""); err != nil {
			return v, fieldErr("name", "glob %q: %w", s.Name, err)
		}
		v.name = s.Name
	}
	if s.Tag != "" {
		k, val, ok := strings.Cut(s.Tag, "=")
		if !ok || !tagKeyRE.MatchString(k) {
			return v, fieldErr("tag", "%q: want key=value (the value may be empty)", s.Tag)
		}
		v.tagKey, v.tagValue, v.hasTag = k, val, true
	}
	return v, nil
}

// Provision normalises the path and the selector's spelling.
func (o *Op) Provision() error {
	o.ready = nil
	p := strings.TrimSpace(o.Path)
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	if strings.HasPrefix(p, "/domain/") {
		p = strings.TrimPrefix(p, "/domain/")
	}
	o.Path = p
	for i, m := range o.Match {
		o.Match[i] = strings.TrimSpace(m)
	}
	return nil
}

// Validate checks the op's syntax, then round-trips everything it names
// through libvirtxml (see probe.go).
func (o *Op) Validate() error { return o.validate(nil) }

func (o *Op) validate(cache *probeCache) error {
	o.ready = nil
	if o.Path == "" {
		return fieldErr("path", "is required (relative to /domain, e.g. devices/disk; /domain for the root)")
	}
	segs, err := splitPath(o.Path)
	if err != nil {
		return prefixField("path", err)
	}
	c := &compiledOp{segs: segs, nth: 1, explicitFirst: o.First, require: o.Require}
	c.device = len(segs) >= 2 && segs[0] == "devices"

	picks := 0
	if o.First {
		picks++
	}
	if o.Nth != 0 {
		picks++
		if o.Nth < 0 {
			return fieldErr("nth", "%d: nth counts from 1", o.Nth)
		}
		c.nth = o.Nth
	}
	if o.All {
		picks++
		c.all = true
	}
	if picks > 1 {
		return fieldErr("", "first, nth and all pick one way; give at most one")
	}
	if len(o.Match) > maxSetKeys {
		return fieldErr("match", "%d properties: at most %d", len(o.Match), maxSetKeys)
	}
	for i, m := range o.Match {
		p, err := parseMatch(m)
		if err != nil {
			return prefixField(fmt.Sprintf("match[%d]", i), err)
		}
		c.match = append(c.match, p)
	}
	c.defaultPick = !o.All && o.Nth == 0 && len(o.Match) == 0

	var kinds []string
	for _, spec := range operations {
		if op, ok := spec.from(o); ok {
			kinds = append(kinds, spec.key)
			c.op = op
		}
	}
	switch len(kinds) {
	case 0:
		return fieldErr("", "no operation: give one of %s", operationKeys())
	case 1:
	default:
		return fieldErr("", "%s: give exactly one operation", strings.Join(kinds, ", "))
	}
	c.kind = kinds[0]
	if err := c.op.compile(c); err != nil {
		return err
	}
	if err := cache.probe(o, c); err != nil {
		return err
	}
	c.writes = c.op.writes(basePath(segs))
	if len(c.writes) == 0 {
		return fieldErr(c.kind, "declares no writes")
	}
	o.ready = c
	return nil
}

// basePath is the op's path in declared form: /domain/....
func basePath(segs []string) string {
	if len(segs) == 0 {
		return "/domain"
	}
	return "/domain/" + strings.Join(segs, "/")
}

// splitPath checks a relative element path; "/domain" is the root.
func splitPath(p string) ([]string, error) {
	if p == "/domain" {
		return nil, nil
	}
	if len(p) > maxPathLen {
		return nil, fmt.Errorf("%d bytes: at most %d", len(p), maxPathLen)
	}
	if n := strings.Count(p, "/") + 1; n > maxPathDepth {
		return nil, fmt.Errorf("%d elements deep: at most %d", n, maxPathDepth)
	}
	if strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%q: paths are relative to /domain (devices/disk), or /domain/... in full", p)
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if !xmlNameRE.MatchString(s) {
			return nil, fmt.Errorf("%q: %q is not an element name", p, s)
		}
		if strings.Contains(s, ":") {
			// libvirtxml writes its namespaced elements unprefixed, so a
			// prefix in a path would never match: merge them at the parent.
			return nil, fmt.Errorf("%q: %q: a path names elements without a namespace prefix; merge namespaced ones at their parent", p, s)
		}
		if s == "domain" {
			return nil, fmt.Errorf("%q: paths are relative to /domain; leave out domain/", p)
		}
	}
	return segs, nil
}

// displayPath is the op's path as the operator wrote it, for messages.
func displayPath(segs []string) string {
	if len(segs) == 0 {
		return "/domain"
	}
	return strings.Join(segs, "/")
}

// prop is a property in virt-xml's dotted form: sub-elements then an
// attribute, or "#text" for an element's text.
type prop struct {
	subs []string
	attr string // "" when text
}

func (p prop) text() bool { return p.attr == "" }

func (p prop) String() string {
	last := p.attr
	if p.text() {
		last = textPseudo
	}
	return strings.Join(append(append([]string(nil), p.subs...), last), ".")
}

func parseProp(s string) (prop, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return prop{}, errors.New("empty property")
	}
	if len(s) > maxPathLen {
		return prop{}, fmt.Errorf("%d bytes: at most %d", len(s), maxPathLen)
	}
	if n := strings.Count(s, ".") + 1; n > maxPathDepth {
		return prop{}, fmt.Errorf("%d parts: at most %d", n, maxPathDepth)
	}
	parts := strings.Split(s, ".")
	for i, part := range parts {
		if part == textPseudo && i == len(parts)-1 {
			continue
		}
		if !xmlNameRE.MatchString(part) {
			return prop{}, fmt.Errorf("%q: %q is not an element or attribute name (sub.attr, or sub.#text)", s, part)
		}
	}
	p := prop{subs: parts[:len(parts)-1], attr: parts[len(parts)-1]}
	if p.attr == textPseudo {
		p.attr = ""
	}
	return p, nil
}

type propValue struct {
	prop  prop
	value string
}

// parseMatch reads "target.dev=vdb" or "device=cdrom".
func parseMatch(s string) (propValue, error) {
	k, v, ok := strings.Cut(s, "=")
	if len(v) > maxValueLen {
		return propValue{}, fmt.Errorf("value of %d bytes: at most %d", len(v), maxValueLen)
	}
	if !ok {
		return propValue{}, fmt.Errorf("%q: want property=value, e.g. target.dev=vdb or device=cdrom", s)
	}
	p, err := parseProp(k)
	if err != nil {
		return propValue{}, err
	}
	return propValue{prop: p, value: v}, nil
}
