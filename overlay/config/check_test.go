package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strataagent/strata/upstream/agent"
)

func TestCheckFile(t *testing.T) {
	table := append(agent.Settings(),
		agent.Setting{Key: "ex.enabled", Flag: "ex-enabled", Default: true},
		agent.Setting{Key: "layers.conflict_policy", Flag: "conflict-policy", Default: "fail"},
		agent.Setting{Key: "layers.qemu_args.allow", Flag: "qemu-args-allow", Default: ""})
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the error; none: valid
	}{
		{"valid", "listen: 127.0.0.1:7070\nvm:\n  domain_type: qemu\n  managed_dirs: [/a, /b]\ntasks:\n  workers: 4\ncallback:\n  timeout: 30s\nex:\n  enabled: false\nlayers:\n  conflict_policy: warn\n  qemu_args:\n    allow: ['-global .*']\n  declarative: []\n", nil},
		{"empty", "", nil},
		{"typo", "vm:\n  domain_typo: kvm\n", []string{":2: vm.domain_typo: unknown setting"}},
		{"unknown section", "vmm:\n  domain_type: kvm\n", []string{":1: vmm: unknown setting"}},
		{"not a number", "tasks:\n  workers: abc\n", []string{`:2: tasks.workers: "abc" is not a whole number`}},
		{"not a duration", "callback:\n  timeout: 5\n", []string{`:2: callback.timeout: "5" is not a duration`}},
		{"not a bool", "ex:\n  enabled: sometimes\n", []string{`:2: ex.enabled: "sometimes" is not true or false`}},
		{"list where a value goes", "listen: [a, b]\n", []string{":1: listen: a single value is expected"}},
		{"two at once", "vm:\n  domain_typo: kvm\ntasks:\n  workers: x\n", []string{"vm.domain_typo: unknown", "tasks.workers"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agent.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			doc, err := readFile(path)
			if err == nil {
				err = checkDoc(path, doc, table, map[string]bool{"layers.qemu_args.allow": true})
			}
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("checkDoc: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkFile passed, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), path+w) && !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error %q does not start with the file and line", err)
			}
		})
	}
}

func TestAnnotateNamesTheLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("listen: x\nvm:\n  domain_type: foo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	err = annotate(errorString("vm.domain_type: \"foo\" is not kvm or qemu\nsomething else"), path, doc)
	want := path + ":3: vm.domain_type: \"foo\" is not kvm or qemu\nsomething else"
	if err == nil || err.Error() != want {
		t.Errorf("annotate = %v, want %q", err, want)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
