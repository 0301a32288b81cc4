package declarative

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/strataagent/strata/overlay/layer"
)

var goOrder = []layer.Layer{{Name: "machine-q35"}, {Name: "uefi"}, {Name: "disk-tuning"}, {Name: "nic-multiqueue"}}

func placed(name, before, after string) Entry {
	return Entry{Name: name, Before: before, After: after, Select: VMSelector{Name: "*"}, Ops: []Op{{Path: "features/pmu", Create: map[string]string{}}}}
}

func names(ls []layer.Layer) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

func TestPlace(t *testing.T) {
	cases := []struct {
		name    string
		entries []Entry
		want    []string
		err     string
	}{
		{"none", nil, []string{"machine-q35", "uefi", "disk-tuning", "nic-multiqueue"}, ""},
		{"before and after", []Entry{placed("d1", "uefi", ""), placed("d2", "", "nic-multiqueue")},
			[]string{"machine-q35", "d1", "uefi", "disk-tuning", "nic-multiqueue", "d2"}, ""},
		{"several at one anchor keep config order", []Entry{placed("a1", "", "uefi"), placed("b1", "uefi", ""), placed("a2", "", "uefi"), placed("b2", "uefi", "")},
			[]string{"machine-q35", "b1", "b2", "uefi", "a1", "a2", "disk-tuning", "nic-multiqueue"}, ""},
		{"first", []Entry{placed("d", "machine-q35", "")}, []string{"d", "machine-q35", "uefi", "disk-tuning", "nic-multiqueue"}, ""},
		{"unknown anchor", []Entry{placed("d1", "", "uefi"), placed("d2", "", "hugepagse")}, nil,
			`layers.declarative[1].after "d2": no Go layer named "hugepagse"`},
		{"anchor on a declarative layer", []Entry{placed("d1", "", "uefi"), placed("d2", "", "d1")}, nil,
			`layers.declarative[1].after "d2": no Go layer named "d1"`},
		{"duplicate declarative name", []Entry{placed("d1", "", "uefi"), placed("d1", "uefi", "")}, nil,
			`layers.declarative[1].name "d1": "d1" is also the name of layers.declarative[0]`},
		{"name of a Go layer", []Entry{placed("uefi", "", "disk-tuning")}, nil,
			`layers.declarative[0].name "uefi": "uefi" is already a Go layer's name`},
		{"unknown override", []Entry{func() Entry { e := placed("d1", "", "uefi"); e.Overrides = []string{"disk-tunning"}; return e }()}, nil,
			`layers.declarative[0].overrides[0] "d1": no layer named "disk-tunning"`},
		{"invalid entry", []Entry{placed("d1", "", "uefi"), {Name: "bad", After: "uefi", Select: VMSelector{Name: "*"}}}, nil,
			`layers.declarative[1].ops "bad": at least one operation is required`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Place(goOrder, tc.entries)
			if tc.err != "" {
				var e *Error
				if err == nil || err.Error() != tc.err || !errors.As(err, &e) {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(names(got), tc.want) {
				t.Errorf("order = %q, want %q", names(got), tc.want)
			}
		})
	}
}

// TestPlaceKeepsGoLayers: the Go layers are passed through untouched.
func TestPlaceKeepsGoLayers(t *testing.T) {
	g := []layer.Layer{{Name: "uefi", Writes: []string{"/domain/os/loader"}}}
	got, err := Place(g, []Entry{placed("d", "", "uefi")})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Name != "uefi" || !reflect.DeepEqual(got[0].Writes, g[0].Writes) || got[1].Apply == nil || !strings.HasPrefix(got[1].Doc, `Declarative layer "d"`) {
		t.Errorf("got %+v", got)
	}
}

// TestLayerUnvalidated: a layer from an entry that skipped Validate refuses
// to run instead of editing with half-compiled ops.
func TestLayerUnvalidated(t *testing.T) {
	e := placed("raw", "", "uefi")
	l := e.Layer()
	if err := l.Apply(&layer.Context{}); err == nil || !strings.Contains(err.Error(), "not validated") {
		t.Errorf("err = %v", err)
	}
}
