package layer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type testPin struct {
	VCPU   uint   `json:"vcpu"`
	CPUSet string `json:"cpuset"`
}

type testBlock struct {
	Size  uint64    `json:"size"`
	Name  string    `json:"name,omitempty"`
	Pins  []testPin `json:"pins"`
	Inner *struct {
		A int `json:"a"`
	} `json:"inner"`
	Tags  map[string]string `json:"tags"`
	Skip  string            `json:"-"`
	NoTag string
}

var testBlockKey = &Block[testBlock]{Name: "t"}

func TestBlockDecode(t *testing.T) {
	for _, c := range []struct {
		name, raw, want string // want: the error, "" for none
	}{
		{"empty", `{}`, ""},
		{"all", `{"size":1,"name":"x","pins":[{"vcpu":0,"cpuset":"0"}],"inner":{"a":1},"tags":{"Any":"v"}}`, ""},
		{"unknown", `{"sise":1}`, "ex.t.sise: unknown field"},
		{"case differs", `{"Size":1}`, "ex.t.Size: unknown field"},
		{"sorted first", `{"zz":1,"aa":2}`, "ex.t.aa: unknown field"},
		{"untagged field", `{"NoTag":"x"}`, "ex.t.NoTag: unknown field"},
		{"dash tag", `{"Skip":"x"}`, "ex.t.Skip: unknown field"},
		{"in list", `{"pins":[{"vcpu":0},{"vcpus":1}]}`, "ex.t.pins[1].vcpus: unknown field"},
		{"in pointer", `{"inner":{"b":1}}`, "ex.t.inner.b: unknown field"},
		{"escaped key", `{"s\u0069ze":1,"b\u00e4d":2}`, "ex.t.bäd: unknown field"},
		{"repeated key: each value checked", `{"inner":{"b":1},"inner":{"a":2}}`, "ex.t.inner.b: unknown field"},
		{"repeated key", `{"inner":{"a":1},"inner":{"a":2}}`, ""},
		{"nested before type", `{"pins":[{"cpu":"x"}],"size":"2M"}`, "ex.t.pins[0].cpu: unknown field"},
		{"bad type", `{"size":"2M"}`, "ex.t.size: a JSON string does not fit a whole number from 0 to 18446744073709551615"},
		{"huge", `{"size":1e400}`, "ex.t.size: a JSON number 1e400 does not fit a whole number from 0 to 18446744073709551615"},
		{"list not object", `{"pins":{"vcpu":1}}`, "ex.t.pins: a JSON object does not fit a list"},
		{"object not list", `[1]`, "ex.t: a JSON array does not fit an object"},
		{"strings with brackets", `{"name":"}]{[\"","pins":[{"cpuset":"]"}]}`, ""},
		{"invalid", `{"size":`, "ex.t: unexpected end of JSON input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := testBlockKey.decode(json.RawMessage(c.raw))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("decode(%s) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}

// treeCheckKeys is the reference checkKeys scans for: the same walk over
// the decoded tree (what DecodeEx did before it scanned in place).
func treeCheckKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := jsonFieldsOf(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s.%s: unknown field", path, k)
			}
			if err := treeCheckKeys(obj[k], ft, path+"."+k); err != nil {
				return err
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range arr {
			if err := treeCheckKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"size":1,"pins":[{"vcpu":0},{"x":1}]}`, `{"inner":{"a":1,"b":2},"zz":[]}`,
		`{"name":"a\"}","pins":[[],{"cpuset":"]"}]}`, `{"inner":{"b":1},"inner":{"a":2}}`} {
		f.Add(s)
	}
	typ := reflect.TypeFor[testBlock]()
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		var tree any
		d := json.NewDecoder(strings.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&tree); err != nil {
			return
		}
		want := treeCheckKeys(tree, typ, "ex.t")
		got := checkKeys(bytes.Clone([]byte(raw)), typ, "ex.t")
		if repeatsKey(raw) {
			// the tree keeps a repeated key's last value; checkKeys checks each
			if want != nil && got == nil {
				t.Fatalf("checkKeys(%s) accepts what the tree check refuses: %v", raw, want)
			}
			want = got
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("checkKeys(%s) = %v, want %v", raw, got, want)
		}
		if got != nil {
			return
		}
		// The one plain decode after the check reads what a strict decoder reads.
		v, err := testBlockKey.decode(json.RawMessage(raw))
		strict := json.NewDecoder(strings.NewReader(raw))
		strict.DisallowUnknownFields()
		var ref testBlock
		refErr := strict.Decode(&ref)
		if (err == nil) != (refErr == nil) || (err == nil && !reflect.DeepEqual(v, &ref)) {
			t.Fatalf("decode(%s) = %+v, %v; strict decoder %+v, %v", raw, v, err, ref, refErr)
		}
	})
}

// repeatsKey reports whether an object in raw (valid JSON) has a key twice.
func repeatsKey(raw string) bool {
	d := json.NewDecoder(strings.NewReader(raw))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // the next token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true // a value ended
		}
	}
}
