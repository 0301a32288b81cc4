package declarative

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/v2"
)

func TestLoadFile(t *testing.T) {
	entries, err := LoadFile("testdata/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
		if e.ready == nil {
			t.Errorf("%s: not validated", e.Name)
		}
	}
	if want := []string{"data-disk-native-io", "drop-spare-cdroms", "pmu-off"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %q, want %q", names, want)
	}
	// Scalars and one-string lists decode as written.
	op := entries[1].Ops[0]
	if op.Nth != 2 || !op.Delete || !reflect.DeepEqual(op.Match, []string{"device=cdrom", "target.bus=ide"}) {
		t.Errorf("ops[0] = %+v", op)
	}
	if got := entries[0].Ops[0].Match; !reflect.DeepEqual(got, []string{"target.dev=vdb"}) {
		t.Errorf("match = %q", got)
	}
	if got := entries[1].Ops[1].Set; !reflect.DeepEqual(got, map[string]string{"target.bus": ""}) {
		t.Errorf("set = %q", got)
	}
	if got := entries[2].Ops[0].Create; got == nil || got["state"] != "off" {
		t.Errorf("create = %#v", got)
	}
	if entries[2].Select.UUID != "5d1f7c3a-9b2e-4f60-a8c4-d2e1b7f9a013" {
		t.Errorf("select = %+v", entries[2].Select)
	}

	cmd := stockCmd(t, "mn_example_a")
	x, err := run(t, entries[2], cmd)
	if err != nil {
		t.Fatal(err)
	}
	check(t, x, []want{{path: "features/pmu", count: 1, attr: "state", value: "off"}, {path: "devices/interface/driver", count: 1, attr: "queues", value: "2"}, {path: "devices/memballoon/stats", count: 0}})
}

// TestLoadFileErrors: a bad config names the file, line and key of each
// bad entry, all of them at once.
func TestLoadFileErrors(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"testdata/bad_match.yaml", []string{
			`testdata/bad_match.yaml:16: layers.declarative[1].ops[1].match[0] "typo": attribute dve of <target> under devices/disk is not part of libvirt's domain model as libvirtxml knows it`,
		}},
		{"testdata/bad_keys.yaml", []string{
			`testdata/bad_keys.yaml:8: layers.declarative[0].ops[0].nht "nth-typo": unknown key`,
			`testdata/bad_keys.yaml:16: layers.declarative[1].ops[0].nth "wrong-type": `,
			`testdata/bad_keys.yaml:23: layers.declarative[2].ops[0].nth "zero": 0: nth counts from 1`,
		}},
		{"testdata/bad_value.yaml", []string{
			`testdata/bad_value.yaml:11: layers.declarative[0].ops[0].set[io] "native-io": "nativ": libvirt's domain schema refuses the result`,
			`testdata/bad_value.yaml:24: layers.declarative[2].ops[0].add "second-nic": libvirt's domain schema refuses the result`,
		}},
		{"testdata/bad_fragment.yaml", []string{
			`testdata/bad_fragment.yaml:17: layers.declarative[2].ops[0].merge "ovs-port": element <foo> under devices/interface is not part of libvirt's domain model as libvirtxml knows it`,
			`testdata/bad_fragment.yaml:22: layers.declarative[3].name "a": "a" is also the name of layers.declarative[0]`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			if ok, why := SchemaChecks(); !ok && strings.Contains(tc.file, "bad_value") {
				t.Skip(why)
			}
			_, err := LoadFile(tc.file)
			if err == nil {
				t.Fatal("no error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d:\n got %s\nwant %s", i, lines[i], w)
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.File != tc.file || e.Line == 0 {
				t.Errorf("first *Error = %+v", e)
			}
		})
	}
}

func TestLoadFileMissingAndSyntax(t *testing.T) {
	if _, err := LoadFile("testdata/nosuch.yaml"); err == nil || !strings.Contains(err.Error(), "testdata/nosuch.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// TestLoadKoanf: Load reads whatever koanf instance the agent built (here
// from a map), and refuses a non-list.
func TestLoadKoanf(t *testing.T) {
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(map[string]any{"layers": map[string]any{"declarative": []any{
		map[string]any{"name": "x", "after": "uefi", "select": map[string]any{"name": "*"},
			"ops": []any{map[string]any{"path": "devices/interface/driver", "set": map[string]any{"queues": 4, "name": "qemu"}}}},
	}}}, "."), nil); err != nil {
		t.Fatal(err)
	}
	entries, err := Load(k)
	if err != nil {
		t.Fatal(err)
	}
	if got := entries[0].Ops[0].Set["queues"]; got != "4" {
		t.Errorf("queues = %q, want \"4\"", got)
	}

	empty := koanf.New(".")
	if entries, err := Load(empty); err != nil || entries != nil {
		t.Errorf("no layers: %v, %v", entries, err)
	}

	bad := koanf.New(".")
	if err := bad.Load(confmap.Provider(map[string]any{"layers.declarative": "nope"}, "."), nil); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if err == nil || err.Error() != "layers.declarative: must be a list of layers, not string" {
		t.Errorf("err = %v", err)
	}
}

func TestLineOf(t *testing.T) {
	var e *Error
	err := Annotate(&Error{Index: 1, Name: "typo", Field: "ops[0].set[driver.io]", Err: errors.New("x")}, "testdata/bad_match.yaml")
	if !errors.As(err, &e) || e.Line != 14 {
		t.Errorf("set key: %v", err)
	}
	err = Annotate(&Error{Index: 1, Name: "typo", Field: "ops[0].nosuch", Err: errors.New("x")}, "testdata/bad_match.yaml")
	if !errors.As(err, &e) || e.Line != 13 {
		t.Errorf("missing key falls back to its mapping: %v", err)
	}
	err = Annotate(&Error{Index: 0, Field: "ops[0].delete", Err: errors.New("x")}, "testdata/bad_keys.yaml")
	if !errors.As(err, &e) || e.Line != 9 {
		t.Errorf("dotted top-level key: %v", err)
	}
}
