package provenance

import (
	"bytes"
	"os"
	"path/filepath"
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
