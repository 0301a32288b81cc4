package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestDebInstallsAndStarts builds the .deb, installs it on this machine
// with dpkg -i, starts the agent from the unit's own ExecStart (on
// loopback ports and test:///default, through STRATA_ variables), stops
// it by its pid, and purges the package.
func TestDebInstallsAndStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs a package")
	}
	if os.Geteuid() != 0 {
		t.Skip("dpkg -i needs root")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("no dpkg on this machine")
	}
	if err := exec.Command("dpkg", "-s", "strata-agent").Run(); err == nil {
		t.Skip("strata-agent is already installed here: not touching it")
	}
	if _, err := os.Stat("/etc/strata/agent.yaml"); err == nil {
		t.Skip("/etc/strata/agent.yaml exists: not touching it")
	}
	path, err := Build(Options{Root: "../..", OutDir: t.TempDir(), Version: "0.1.0~test", Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	t.Logf("%s: %d bytes", path, st.Size())
	run(t, "dpkg", "-i", path)
	t.Cleanup(func() { run(t, "dpkg", "--purge", "strata-agent") })

	for _, p := range []string{"/usr/bin/strata-agent", "/lib/systemd/system/strata-agent.service", "/etc/strata/agent.yaml", "/usr/share/man/man8/strata-agent.8.gz"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	if conf, _ := os.ReadFile("/etc/strata/agent.yaml"); !strings.Contains(string(conf), "uri: qemu:///system") {
		t.Errorf("installed configuration does not drive the real host:\n%s", conf)
	}
	if v := run(t, "/usr/bin/strata-agent", "--version"); !strings.HasPrefix(v, "strata-agent ") {
		t.Errorf("--version: %q", v)
	}
	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		// man:strata-agent(8) is checked too: the man page is installed.
		if out, err := exec.Command("systemd-analyze", "verify", "/lib/systemd/system/strata-agent.service").CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}

	unit, err := os.ReadFile("/lib/systemd/system/strata-agent.service")
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	for _, line := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			argv = strings.Fields(v)
		}
	}
	if len(argv) == 0 {
		t.Fatal("no ExecStart in the unit")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "STRATA_LISTEN=127.0.0.1:0", "STRATA_EX_LISTEN=127.0.0.1:0",
		"STRATA_ADMIN_LISTEN=127.0.0.1:0", "STRATA_LIBVIRT_URI=test:///default", "STRATA_VM_MANAGED_DIRS=" + t.TempDir()}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	started := false
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), `msg="strata-agent starting" config=/etc/strata/agent.yaml`) {
			started = true
			break
		}
	}
	if !started {
		_ = cmd.Wait()
		t.Fatalf("the unit's ExecStart did not start:\n%s", strings.Join(seen, "\n"))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		seen = append(seen, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("stop: %v\n%s", err, strings.Join(seen, "\n"))
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestManPage(t *testing.T) {
	man := string(ManPage(".hidden\nback\\slash\n  --flag\n", "1.0"))
	for _, want := range []string{".TH STRATA-AGENT 8", "\\&.hidden\n", "back\\eslash", ".SH DESCRIPTION\n.nf\n"} {
		if !strings.Contains(man, want) {
			t.Errorf("man page lacks %q:\n%s", want, man)
		}
	}
}
