package provenance

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/beevik/etree"
)

// readElement builds the tree etree builds, on every stock golden domain
// (encoding/xml's output) and on inputs it must hand back to etree.
func TestReadElementIsEtree(t *testing.T) {
	files, err := filepath.Glob("../../upstream/vmplugin/testdata/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden domains: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.TrimSpace(b) // the golden file's final newline: read takes one element
		got, ok := readElement(b)
		if !ok {
			t.Errorf("%s: read refused encoding/xml output", filepath.Base(f))
			continue
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(b); err != nil {
			t.Fatal(err)
		}
		if g, w := write(got), write(doc.Root()); g != w {
			t.Errorf("%s: read gives\n%s\netree gives\n%s", filepath.Base(f), g, w)
		}
	}
	for _, in := range []string{
		`<a><!-- c --></a>`,
		`<a><![CDATA[x]]></a>`,
		`<a>&nbsp;</a>`,
		"<a>x\ry</a>",
		`text<a/>`,
	} {
		if _, ok := readElement([]byte(in)); ok {
			t.Errorf("read took %q, which it must leave to etree", in)
		}
	}
}

func write(e *etree.Element) string {
	doc := etree.NewDocument()
	doc.SetRoot(e.Copy())
	s, _ := doc.WriteToString()
	return s
}

// readSummary gives summary of the element etree parses, on every element
// of every stock golden domain (encoding/xml's output, indented) and on
// inputs it must hand back to the full parse.
func TestReadSummaryIsSummary(t *testing.T) {
	files, err := filepath.Glob("../../upstream/vmplugin/testdata/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden domains: %v", err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, el := range elementSpans(t, b) {
			n++
			if got, want, ok := summaries(el); !ok {
				t.Errorf("%s: readSummary refused encoding/xml output %.80q", filepath.Base(f), el)
			} else if got != want {
				t.Errorf("%s: readSummary %q, summary %q", filepath.Base(f), got, want)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d elements read", n)
	}
	for _, in := range []string{
		`<a><!-- c --></a>`,
		`<a>x<!-- c --><b/></a>`,
		`<a><![CDATA[x]]></a>`,
		`<a>&nbsp;</a>`,
		`<a b="&nbsp;"/>`,
		"<a>x\ry</a>",
		`text<a/>`,
		`<a></b>`,
		`<a b='1'/>`,
	} {
		if _, _, _, _, ok := readSummary([]byte(in), nil); ok {
			t.Errorf("readSummary took %q, which it must leave to the parse", in)
		}
	}
}

// elementSpans are the bytes of each element of an XML document.
func elementSpans(t *testing.T, b []byte) [][]byte {
	d := xml.NewDecoder(bytes.NewReader(b))
	var starts []int64
	var out [][]byte
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok.(type) {
		case xml.StartElement:
			starts = append(starts, off)
		case xml.EndElement:
			s := starts[len(starts)-1]
			starts = starts[:len(starts)-1]
			out = append(out, b[s:d.InputOffset()])
		}
	}
}

// summaries are readSummary's and the parsed tree's summary of el.
func summaries(el []byte) (got, want string, ok bool) {
	tag, attrs, children, text, ok := readSummary(el, nil)
	if !ok {
		return "", "", false
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(el); err != nil || doc.Root() == nil {
		return "", "", false
	}
	return summaryOf(tag, attrs, children, text), summary(doc.Root()), true
}

func FuzzReadSummary(f *testing.F) {
	for _, s := range []string{`<a b="1">x<c/></a>`, `<a></a>`, `<s:a xmlns:s="u" s:b="&amp;">  t &lt; </s:a>`, `<a/>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, _, _, ok := readSummary(b, nil); !ok {
			return
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(b); err != nil || doc.Root() == nil || len(doc.ChildElements()) != 1 {
			return // not one element: the caller only has encoder output
		}
		if got, want, _ := summaries(b); got != want {
			t.Fatalf("readSummary(%q) = %q, summary %q", b, got, want)
		}
	})
}

// The emitters and delegates tell from fields whether libvirtxml's own
// marshaller writes an element: checked against it for the zero value and
// for each pointer field set alone (a libvirtxml upgrade that adds a kind
// the marshaller skips fails here).
func TestEmittersMatchMarshal(t *testing.T) {
	tables := map[reflect.Type]func(reflect.Value) bool{}
	for typ, e := range emitters {
		tables[typ] = e
	}
	for typ, d := range delegates {
		tables[typ] = func(v reflect.Value) bool { _, _, set := d(v); return set }
	}
	for typ, test := range tables {
		cases := []reflect.Value{reflect.New(typ)}
		for i := range typ.NumField() {
			if f := typ.Field(i); f.Type.Kind() == reflect.Pointer && f.IsExported() {
				v := reflect.New(typ)
				v.Elem().Field(i).Set(reflect.New(f.Type.Elem()))
				cases = append(cases, v)
			}
		}
		for _, v := range cases {
			b, err := xml.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("%v: %v", typ, err)
			}
			if got, want := test(v.Elem()), len(b) > 0; got != want {
				t.Errorf("%v %+v: the table says %v, marshal writes %q", typ, v.Elem().Interface(), got, b)
			}
		}
	}
}
