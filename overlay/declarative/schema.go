package declarative

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// Values checked at load, against libvirt's own schema. Each op is applied
// to a probe domain (probe_domain.xml: the stock domain of a corpus
// command, schema-valid) and the result is validated with the RelaxNG
// schema libvirt ships, so `io: nativ` is refused at load, naming file,
// line, key and value, instead of failing every matching start with
// libvirt's own error. An op the probe domain gives nothing to select
// (match: is made to hold on the first element of the kind) is not checked.
//
// The schema is run by argv: xmllint --relaxng on libvirt's domain.rng for
// the whole config in one process when both are installed (the check
// virt-xml-validate makes, without a process per op), else
// virt-xml-validate FILE domain per probe. With neither, values are not
// checked (SchemaChecks reports it).

//go:embed probe_domain.xml
var probeDomainXML string

// schemaFiles are where libvirt installs its domain schema.
var schemaFiles = []string{"/usr/share/libvirt/schemas/domain.rng", "/usr/local/share/libvirt/schemas/domain.rng"}

// schemaValidator validates whole domain documents; nil results mean valid.
type schemaValidator interface {
	validate(docs []string) ([]error, error)
}

// schemaCheck is the validator in use, found on first use; nil when none
// is installed.
var schemaCheck = sync.OnceValue(findValidator)

// SchemaChecks reports whether op values are checked against libvirt's
// schema at load, and with what.
func SchemaChecks() (bool, string) {
	switch v := schemaCheck().(type) {
	case xmllintValidator:
		return true, v.bin + " --relaxng " + v.rng
	case virtXMLValidator:
		return true, v.bin
	}
	return false, "neither xmllint with libvirt's domain.rng nor virt-xml-validate is installed"
}

func findValidator() schemaValidator {
	if bin, err := exec.LookPath("xmllint"); err == nil {
		for _, f := range schemaFiles {
			if _, err := os.Stat(f); err == nil {
				return xmllintValidator{bin: bin, rng: f}
			}
		}
	}
	if bin, err := exec.LookPath("virt-xml-validate"); err == nil {
		return virtXMLValidator{bin: bin}
	}
	return nil
}

// writeDocs writes docs as dir/N.xml.
func writeDocs(docs []string) (string, []string, error) {
	dir, err := os.MkdirTemp("", "strata-schema-")
	if err != nil {
		return "", nil, fmt.Errorf("schema check: %w", err)
	}
	files := make([]string, len(docs))
	for i, d := range docs {
		files[i] = filepath.Join(dir, strconv.Itoa(i)+".xml")
		if err := os.WriteFile(files[i], []byte(d), 0o600); err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("schema check: %w", err)
		}
	}
	return dir, files, nil
}

type xmllintValidator struct{ bin, rng string }

// xmllintBatch bounds the files of one xmllint run (argv length).
const xmllintBatch = 500

func (v xmllintValidator) validate(docs []string) ([]error, error) {
	dir, files, err := writeDocs(docs)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := make([]error, len(docs))
	for start := 0; start < len(files); start += xmllintBatch {
		batch := files[start:min(start+xmllintBatch, len(files))]
		args := append([]string{"--noout", "--nonet", "--relaxng", v.rng}, batch...)
		var stderr bytes.Buffer
		cmd := exec.Command(v.bin, args...)
		cmd.Stderr = &stderr
		runErr := cmd.Run()
		var ee *exec.ExitError
		if runErr != nil && !errors.As(runErr, &ee) {
			return nil, fmt.Errorf("schema check: %s: %w", v.bin, runErr)
		}
		// Per file: "F validates" or "F fails to validate", after its
		// messages ("F:LINE: element x: Relax-NG validity error : ...").
		first := map[string]string{}
		verdict := map[string]bool{}
		sc := bufio.NewScanner(&stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasSuffix(line, " validates"):
				verdict[strings.TrimSuffix(line, " validates")] = true
			case strings.HasSuffix(line, " fails to validate"):
				verdict[strings.TrimSuffix(line, " fails to validate")] = false
			default:
				if f, msg, ok := strings.Cut(line, ":"); ok {
					if _, seen := first[f]; !seen && strings.Contains(msg, "error") {
						first[f] = schemaMessage(msg)
					}
				}
			}
		}
		for i, f := range batch {
			ok, known := verdict[f]
			switch {
			case !known:
				return nil, fmt.Errorf("schema check: %s gave no verdict for a probe (%v): %s", v.bin, runErr, firstLine(stderr.String()))
			case !ok:
				out[start+i] = schemaRefusal(first[f])
			}
		}
	}
	return out, nil
}

type virtXMLValidator struct{ bin string }

func (v virtXMLValidator) validate(docs []string) ([]error, error) {
	dir, files, err := writeDocs(docs)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := make([]error, len(docs))
	for i, f := range files {
		msg, err := exec.Command(v.bin, f, "domain").CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			m := ""
			for _, l := range strings.Split(string(msg), "\n") {
				if rest, ok := strings.CutPrefix(l, f+":"); ok && strings.Contains(rest, "error") {
					m = schemaMessage(rest)
					break
				}
			}
			out[i] = schemaRefusal(m)
		default:
			return nil, fmt.Errorf("schema check: %s: %w", v.bin, err)
		}
	}
	return out, nil
}

// schemaMessage drops xmllint's line number and boilerplate.
func schemaMessage(msg string) string {
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		if _, err := strconv.Atoi(strings.TrimSpace(msg[:strings.IndexByte(msg, ':')])); err == nil {
			msg = rest
		}
	}
	msg = strings.ReplaceAll(msg, "Relax-NG validity error : ", "")
	return strings.TrimSpace(msg)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// SchemaError is an op's result refused by libvirt's domain schema.
type SchemaError struct {
	Detail string // the validator's first message, "" when it gave none
}

func (e *SchemaError) Error() string {
	if e.Detail == "" {
		return "libvirt's domain schema refuses the result"
	}
	return "libvirt's domain schema refuses the result (" + e.Detail + ")"
}

func schemaRefusal(detail string) error {
	if strings.Contains(detail, "failed to validate content") || strings.Contains(detail, "in interleave") {
		detail = "" // xmllint's wording for "somewhere below": it names no element of the op
	}
	return &SchemaError{Detail: detail}
}

// probeSchemaDoc applies c to the probe domain; ok is false when there is
// nothing in it for the op to select. When the op's match had to be made
// to hold, base is the probe domain with only that done: the op is judged
// only where base itself is valid (a made-up target.dev=nosuch is not).
func probeSchemaDoc(c *compiledOp) (doc, base string, ok bool) {
	parsed := probeDomain()
	if parsed == nil {
		return "", "", false
	}
	d := parsed.Copy()
	root := d.Root()
	if a, ok := c.op.(appender); ok {
		a.appendTo(c, root)
	} else {
		ts := c.targets(root)
		if len(ts) == 0 && len(c.match) > 0 && makeMatch(c, root) {
			if base, _ = d.WriteToString(); base == "" {
				return "", "", false
			}
			ts = c.targets(root)
		}
		if len(ts) == 0 {
			return "", "", false
		}
		for _, t := range ts {
			c.op.apply(c, t)
		}
	}
	s, err := d.WriteToString()
	if err != nil {
		return "", "", false
	}
	return s, base, true
}

// probeDomain is probe_domain.xml parsed once; probes work on copies.
var probeDomain = sync.OnceValue(func() *etree.Document {
	d := etree.NewDocument()
	if err := d.ReadFromString(probeDomainXML); err != nil {
		return nil
	}
	return d
})

// makeMatch makes the op's match hold on the first element of its kind.
func makeMatch(c *compiledOp, root *etree.Element) bool {
	lvl := c.level()
	el := root
	for _, s := range c.segs[:lvl] {
		if el = firstChild(el, s); el == nil {
			return false
		}
	}
	for _, m := range c.match {
		if m.value == "" {
			unsetProp(el, m.prop)
		} else {
			setProp(el, m.prop, m.value)
		}
	}
	return true
}

// schemaJob is one probe of one op: which entry and op, and the field a
// refusal names.
type schemaJob struct {
	entry, op int
	field     string
	doc, base string
}

// checkSchema validates each op of entries (already validated) on the
// probe domain, and returns a field error per refused entry, by index.
// A refused set (or unset) is probed again per property to name the key.
func checkSchema(entries []*Entry) (map[int]error, error) {
	check := schemaCheck()
	if check == nil {
		return nil, nil
	}
	var jobs []schemaJob
	index := map[string]int{} // doc -> first job with it: one validation each
	var docs []string
	addDoc := func(d string) {
		if _, ok := index[d]; !ok && d != "" {
			index[d] = len(docs)
			docs = append(docs, d)
		}
	}
	probed := map[string]schemaJob{} // ops written the same way probe once
	for ei, e := range entries {
		if e.ready == nil {
			continue
		}
		for oi, c := range e.ready.ops {
			j, seen := probed[c.key]
			if !seen || c.key == "" {
				d, base, ok := probeSchemaDoc(c)
				if !ok {
					probed[c.key] = schemaJob{op: -1}
					continue
				}
				j = schemaJob{doc: d, base: base}
				probed[c.key] = j
				addDoc(d)
				addDoc(base)
			}
			if j.op == -1 {
				continue
			}
			jobs = append(jobs, schemaJob{entry: ei, op: oi, field: c.kind, doc: j.doc, base: j.base})
		}
	}
	if len(docs) == 0 {
		return nil, nil
	}
	res, err := check.validate(docs)
	if err != nil {
		return nil, err
	}
	out := map[int]error{}
	var again []schemaJob
	for _, j := range jobs {
		if _, done := out[j.entry]; done {
			continue
		}
		verr := res[index[j.doc]]
		if verr == nil || (j.base != "" && res[index[j.base]] != nil) {
			continue
		}
		c := entries[j.entry].ready.ops[j.op]
		out[j.entry] = opSchemaError(j, c, "", verr)
		// per property, to name the key and its value
		if props := propsOf(c.op); len(props) > 1 {
			for _, pv := range props {
				one := *c
				one.op = single(c.op, pv)
				if d, _, ok := probeSchemaDoc(&one); ok {
					again = append(again, schemaJob{entry: j.entry, op: j.op, field: propField(c.kind, pv), doc: d})
				}
			}
		}
	}
	if len(again) > 0 {
		docs = docs[:0]
		for _, j := range again {
			docs = append(docs, j.doc)
		}
		res, err := check.validate(docs)
		if err != nil {
			return nil, err
		}
		named := map[int]bool{}
		for i, j := range again {
			if res[i] != nil && !named[j.entry] {
				named[j.entry] = true
				out[j.entry] = opSchemaError(j, entries[j.entry].ready.ops[j.op], j.field, res[i])
			}
		}
	}
	return out, nil
}

// opSchemaError names the op, the key and its value: ops[0].set[io]: "nativ": ...
func opSchemaError(j schemaJob, c *compiledOp, field string, err error) error {
	if field == "" {
		field = j.field
		if props := propsOf(c.op); len(props) == 1 {
			field = propField(c.kind, props[0])
		}
	}
	value := ""
	for _, pv := range propsOf(c.op) {
		if propField(c.kind, pv) == field {
			value = pv.value
		}
	}
	f := fmt.Sprintf("ops[%d].%s", j.op, field)
	if value != "" {
		return fieldErr(f, "%q: %w", value, err)
	}
	return fieldErr(f, "%w", err)
}

func propField(kind string, pv propValue) string {
	if kind == "set" {
		return "set[" + pv.prop.String() + "]"
	}
	if kind == "create" {
		return "create[" + pv.prop.attr + "]"
	}
	return kind
}

// propsOf are the properties an operation writes one by one.
func propsOf(op operation) []propValue {
	switch o := op.(type) {
	case *setOp:
		return o.props
	case *createOp:
		return o.props
	}
	return nil
}

// single is op narrowed to one of its properties.
func single(op operation, pv propValue) operation {
	switch op.(type) {
	case *setOp:
		return &setOp{raw: map[string]string{pv.prop.String(): pv.value}, props: []propValue{pv}}
	case *createOp:
		return &createOp{raw: map[string]string{pv.prop.attr: pv.value}, props: []propValue{pv}}
	}
	return op
}
