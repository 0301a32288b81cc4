package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as strata-agent: with runAsAgent set it runs
// main, so these tests see the real process's output and exit code (main
// calls os.Exit, which agentex's in-process tests cannot observe).
const runAsAgent = "GO_TEST_RUN_STRATA_AGENT" // not STRATA_-prefixed: the agent refuses unknown STRATA_ variables

func TestMain(m *testing.M) {
	if os.Getenv(runAsAgent) == "1" {
		os.Args = append([]string{"strata-agent"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const corpus = "../../overlay/agentex/testdata"

// agentCmd is strata-agent with args and the test's environment minus any
// STRATA_ setting, which would change what the goldens expect.
func agentCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	env := []string{runAsAgent + "=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STRATA_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

// run runs strata-agent to completion, killing it (by its pid, via
// os.Process) if it has not exited within the limit.
func run(t *testing.T, limit time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := agentCmd(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit):
		t.Errorf("strata-agent %s still running after %s; killing pid %d", strings.Join(args, " "), limit, cmd.Process.Pid)
		_ = cmd.Process.Kill()
		err = <-done
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestRenderExplainMatchesGolden: the binary's `render --explain` prints
// the agentex golden of every case, failures included (exit code and
// message), so the goldens are what an operator sees.
func TestRenderExplainMatchesGolden(t *testing.T) {
	files, _ := filepath.Glob(corpus + "/*.yaml")
	if len(files) < 12 {
		t.Fatalf("only %d cases under %s", len(files), corpus)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(corpus, name+".explain.txt"))
			if err != nil {
				t.Fatal(err)
			}
			code, out, stderr := run(t, time.Minute, "render", "--explain", "--config", f, filepath.Join(corpus, name+".json"))
			got := out
			if code != 0 {
				got = fmt.Sprintf("exit %d\n%s", code, stderr)
			}
			if got != string(want) {
				t.Errorf("strata-agent render --explain:\n--- want\n%s\n--- got\n%s", want, got)
			}
			if code != 0 {
				return
			}
			wantXML, err := os.ReadFile(filepath.Join(corpus, name+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			if code, x, stderr := run(t, time.Minute, "render", "--config", f, filepath.Join(corpus, name+".json")); code != 0 || x != string(wantXML) {
				t.Errorf("strata-agent render: exit %d (%s); XML equals golden: %v", code, stderr, x == string(wantXML))
			}
		})
	}
}

// TestBadConfigExitCodes: an invalid declarative entry makes `layers` exit
// 1 and `serve` refuse to start, both naming file, line and key. serve is
// given 127.0.0.1:0 and test:///default, so a wrong start binds nothing
// real, and run kills it.
func TestBadConfigExitCodes(t *testing.T) {
	cases := []struct{ file, want string }{
		{"bad_selector.yaml", `bad_selector.yaml:14: layers.declarative[1].select.uuid "bad-uuid": "not-a-uuid" is not a uuid`},
		{"unknown_element.yaml", `unknown_element.yaml:8: layers.declarative[0].ops[0].path "frob": element <frobnicator> under devices`},
		{"bad_fragment.yaml", `bad_fragment.yaml:10: layers.declarative[0].ops[0].merge "ovs-port": element <foo> under devices/interface`},
		{"unknown_anchor.yaml", `unknown_anchor.yaml:5: layers.declarative[0].after "lost": no Go layer named "disk-tunning"`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(corpus, "bad", tc.file)
			want := filepath.Join(corpus, "bad") + "/" + tc.want // the message starts with the path as given
			code, out, _ := run(t, time.Minute, "layers", "--config", path)
			if code != 1 || !strings.Contains(out, "configuration: INVALID\n"+want) {
				t.Errorf("layers: exit %d, want 1 and %s:\n%s", code, want, out)
			}
			code, _, stderr := run(t, 20*time.Second, "serve", "--config", path,
				"--listen", "127.0.0.1:0", "--ex-listen", "127.0.0.1:0", "--libvirt-uri", "test:///default")
			if code == 0 || !strings.Contains(stderr, want) {
				t.Errorf("serve: exit %d, want non-zero and %s:\n%s", code, want, stderr)
			}
		})
	}
}

// TestLayersGolden: the binary's `layers` prints the agentex golden.
func TestLayersGolden(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(corpus, "layers", "two.txt"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, time.Minute, "layers", "--config", filepath.Join(corpus, "layers", "two.yaml"))
	if code != 0 || out != string(want) {
		t.Errorf("strata-agent layers: exit %d (%s)\n--- want\n%s\n--- got\n%s", code, stderr, want, out)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		code, out, _ := run(t, time.Minute, arg)
		if code != 0 || !strings.HasPrefix(out, "strata-agent ") || !strings.Contains(out, "upstream kvmagent ") {
			t.Errorf("%s: exit %d, %q", arg, code, out)
		}
	}
}
