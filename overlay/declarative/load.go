package declarative

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/v2"
	yamlv3 "go.yaml.in/yaml/v3"
)

// ConfigKey is where the entries live in the agent's configuration.
const ConfigKey = "layers.declarative"

// Error is a configuration error at one key of layers.declarative. File and
// Line are set by LoadFile and Annotate, which read the YAML again for the
// positions koanf does not keep.
type Error struct {
	File  string // "" when unknown
	Line  int    // 1-based; 0 when unknown
	Index int    // the entry's index; -1 for layers.declarative itself
	Name  string // the entry's name, "" when it has none
	Field string // the key inside the entry: "ops[0].match", "set[driver.io]"; "" for the entry
	Err   error
}

// Key is the full configuration key: "layers.declarative[1].ops[0].match".
func (e *Error) Key() string {
	if e.Index < 0 {
		return ConfigKey
	}
	k := fmt.Sprintf("%s[%d]", ConfigKey, e.Index)
	if e.Field != "" {
		k += "." + e.Field
	}
	return k
}

// Error reads `agent.yaml:14: layers.declarative[1].ops[0].match "ovs-port": ...`.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Key())
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// entryError turns an entry's (field) error into an *Error.
func entryError(i int, name string, err error) *Error {
	e := &Error{Index: i, Name: name, Err: err}
	var fe *fieldError
	if errors.As(err, &fe) {
		e.Field, e.Err = fe.field, fe.err
	}
	return e
}

// Load decodes, provisions and validates the entries under ConfigKey. Keys
// are checked strictly (an unknown key is an error naming it). Every bad
// entry is reported (up to maxReported, then a count), each as an *Error,
// joined. Values come as koanf parsed them (`2.0` reads "2"): LoadNode and
// LoadFile keep them as written.
func Load(k *koanf.Koanf) ([]Entry, error) {
	raw := k.Get(ConfigKey)
	if raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, &Error{Index: -1, Err: fmt.Errorf("must be a list of layers, not %T", raw)}
	}
	if len(list) > maxEntries {
		return nil, &Error{Index: -1, Err: fmt.Errorf("%d entries: at most %d", len(list), maxEntries)}
	}
	return loadList(list)
}

func loadList(list []any) ([]Entry, error) {
	var errs []error
	more := 0
	report := func(err error) {
		if len(errs) < maxReported {
			errs = append(errs, err)
		} else {
			more++
		}
	}
	entries := make([]Entry, 0, len(list))
	var at []int // each entry's index in list
	names := map[string]int{}
	cache := newProbeCache()
	for i, item := range list {
		var e Entry
		if err := decodeEntry(item, &e); err != nil {
			report(entryError(i, nameOf(item), err))
			continue
		}
		if err := e.Provision(); err != nil {
			report(entryError(i, e.Name, err))
			continue
		}
		if err := e.validate(cache); err != nil {
			report(entryError(i, e.Name, err))
			continue
		}
		if j, dup := names[e.Name]; dup {
			report(entryError(i, e.Name, fieldErr("name", "%q is also the name of %s[%d]", e.Name, ConfigKey, j)))
			continue
		}
		names[e.Name] = i
		entries = append(entries, e)
		at = append(at, i)
	}
	// Values, against libvirt's schema: the whole config in one run.
	ptrs := make([]*Entry, len(entries))
	for i := range entries {
		ptrs[i] = &entries[i]
	}
	refused, err := checkSchema(ptrs)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		if err := refused[i]; err != nil {
			report(entryError(at[i], entries[i].Name, err))
		}
	}
	// in entry order (the schema check reports after the others)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].(*Error).Index < errs[j].(*Error).Index })
	if more > 0 {
		errs = append(errs, &Error{Index: -1, Err: fmt.Errorf("and %d more bad entries", more)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return entries, nil
}

// LoadFile loads the entries from one YAML file (the agent's config), with
// file and line in every error and values as written. The file is read
// once, and refused beyond maxConfigBytes.
func LoadFile(path string) ([]Entry, error) {
	doc, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return LoadNode(path, doc)
}

// Annotate sets File and Line on every *Error in err (a single one or a
// join), from the YAML file the configuration was loaded from. It is for
// callers that load the agent's config through their own koanf instance
// and then call Load or Place. Errors of other types pass unchanged.
func Annotate(err error, path string) error {
	if err == nil {
		return nil
	}
	src, rerr := os.ReadFile(path)
	if rerr != nil {
		return err
	}
	var doc yamlv3.Node
	if yamlv3.Unmarshal(src, &doc) != nil {
		return err
	}
	return annotate(err, path, &doc)
}

// AnnotateDoc is Annotate with the file already parsed (overlay/config
// reads and parses the file once).
func AnnotateDoc(err error, path string, doc *yamlv3.Node) error {
	if err == nil || doc == nil {
		return err
	}
	return annotate(err, path, doc)
}

func annotate(err error, path string, doc *yamlv3.Node) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, annotate(e, path, doc))
		}
		return errors.Join(out...)
	}
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.File, c.Line = path, lineOf(doc, c.Key())
	return &c
}

// decodeEntry decodes one list item as koanf's Unmarshal would (mapstructure
// on koanf tags), but strictly: unknown keys are errors naming the key.
func decodeEntry(item any, e *Entry) error {
	if _, ok := item.(map[string]any); !ok {
		return fmt.Errorf("must be a mapping (name:, before:/after:, select:, ops:), not %T", item)
	}
	var md mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName:    "koanf",
		Result:     e,
		Metadata:   &md,
		DecodeHook: scalarHook,
	})
	if err != nil {
		return fmt.Errorf("decoder: %w", err)
	}
	if err := dec.Decode(item); err != nil {
		var de *mapstructure.DecodeError
		if errors.As(err, &de) {
			return &fieldError{field: innermostName(de), err: errors.Unwrap(innermost(de))}
		}
		return err
	}
	if len(md.Unused) > 0 {
		sort.Strings(md.Unused)
		return fieldErr(md.Unused[0], "unknown key")
	}
	// nth: 0 would silently mean "first"; say it counts from 1.
	for i := range e.Ops {
		key := fmt.Sprintf("ops[%d].nth", i)
		for _, k := range md.Keys {
			if k == key && e.Ops[i].Nth == 0 {
				return fieldErr(key, "0: nth counts from 1")
			}
		}
	}
	return nil
}

func innermost(de *mapstructure.DecodeError) error {
	var err error = de
	for {
		var in *mapstructure.DecodeError
		u := errors.Unwrap(err)
		if u == nil || !errors.As(u, &in) {
			return err
		}
		err = in
	}
}

func innermostName(de *mapstructure.DecodeError) string {
	var in *mapstructure.DecodeError
	errors.As(innermost(de), &in)
	return in.Name()
}

var stringsType = reflect.TypeOf([]string(nil))

// scalarHook lets YAML scalars fill string fields as written (`queues: 4`,
// `on: true`) and one string stand for a one-item list (`match: device=cdrom`).
func scalarHook(from, to reflect.Type, data any) (any, error) {
	if from == rawScalarType {
		r := data.(rawScalar)
		switch {
		case to.Kind() == reflect.String:
			return r.raw, nil
		case to == stringsType:
			return []string{r.raw}, nil
		}
		return r.value, nil
	}
	switch {
	case to.Kind() == reflect.String:
		switch from.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int64, reflect.Uint64, reflect.Float64:
			return fmt.Sprint(data), nil
		}
	case to == stringsType && from.Kind() == reflect.String:
		return []string{data.(string)}, nil
	}
	return data, nil
}

func nameOf(item any) string {
	if m, ok := item.(map[string]any); ok {
		switch s := m["name"].(type) {
		case string:
			return s
		case rawScalar:
			return s.raw
		}
	}
	return ""
}

// lineOf finds the line of a configuration key in a YAML document, or of
// its nearest ancestor present (a missing key is reported where its
// mapping is). Keys written dotted in the file ("layers.declarative:")
// are found too, as koanf reads them the same way.
func lineOf(doc *yamlv3.Node, key string) int {
	n := doc
	if n.Kind == yamlv3.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	toks := tokens(key)
	line := n.Line
	for i := 0; i < len(toks) && n != nil; {
		t := toks[i]
		switch {
		case n.Kind == yamlv3.SequenceNode && t.index >= 0:
			if t.index >= len(n.Content) {
				return line
			}
			n = n.Content[t.index]
			line = n.Line
			i++
		case n.Kind == yamlv3.MappingNode && t.index < 0:
			found := false
			// Try the longest dotted run of name tokens first.
			for j := len(toks); j > i && !found; j-- {
				name, ok := joinNames(toks[i:j])
				if !ok {
					continue
				}
				for c := 0; c+1 < len(n.Content); c += 2 {
					if n.Content[c].Value == name {
						line = n.Content[c].Line
						n = n.Content[c+1]
						i = j
						found = true
						break
					}
				}
			}
			if !found {
				return line
			}
		default:
			return line
		}
	}
	return line
}

type token struct {
	name  string
	index int // >= 0 for [N]; -1 for a name or a [map key]
	key   bool
}

// tokens splits "a.b[1].set[driver.io]" into a, b, [1], set, [driver.io].
func tokens(key string) []token {
	var out []token
	for len(key) > 0 {
		switch key[0] {
		case '.':
			key = key[1:]
		case '[':
			end := strings.IndexByte(key, ']')
			if end < 0 {
				end = len(key)
			}
			in := key[1:end]
			if n, err := strconv.Atoi(in); err == nil {
				out = append(out, token{index: n})
			} else {
				out = append(out, token{name: in, index: -1, key: true})
			}
			key = key[min(end+1, len(key)):]
		default:
			end := strings.IndexAny(key, ".[")
			if end < 0 {
				end = len(key)
			}
			out = append(out, token{name: key[:end], index: -1})
			key = key[end:]
		}
	}
	return out
}

func joinNames(ts []token) (string, bool) {
	parts := make([]string, len(ts))
	for i, t := range ts {
		if t.index >= 0 || (t.key && len(ts) > 1) {
			return "", false
		}
		parts[i] = t.name
	}
	return strings.Join(parts, "."), true
}
