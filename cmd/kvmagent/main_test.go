package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/strataagent/strata/overlay/buildinfo"
	"github.com/strataagent/strata/upstream/agent"
)

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--help"}, nil, &out, &out, nil); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range agent.Settings() {
		for _, want := range []string{s.Key, "--" + s.Flag, s.Env()} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("--help does not mention %s", want)
			}
		}
	}
	for _, want := range []string{"render", "serve"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention the %s subcommand", want)
		}
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     []string
	}{
		{"ceph example from a file", []string{"render", "--config", "/dev/null", "../../upstream/vmplugin/testdata/mn_example_b.json"}, "", 0,
			[]string{`protocol="rbd"`, `name="pri-v-r-7f6e5d4c3b2a41908f7e6d5c4b3a2918/e1d2c3b4a5964f87a6b5c4d3e2f1a0b9"`, `dev="hda"`, `<zs:zstack`}},
		{"standard input", []string{"render", "--image-format", "qcow2"}, `{"vmInstanceUuid":"5d1f7c3a9b2e4f60a8c4d2e1b7f9a013","memory":1073741824,"cpuNum":1,"socketNum":1,"cpuOnSocket":1,"bootDev":["hd"],"rootVolume":{"installPath":"/nonexistent/root","deviceId":0,"deviceType":"file","useVirtio":true,"cacheMode":"none"},"clock":"utc","videoType":"cirrus","consoleMode":"vnc","useBootMenu":true}`, 0,
			[]string{`type="qcow2"`, `<name>5d1f7c3a9b2e4f60a8c4d2e1b7f9a013</name>`, `dev="vda"`}},
		{"malformed json", []string{"render", "-"}, `{"vmInstanceUuid":`, 1, []string{"malformed StartVmCmd JSON"}},
		{"bad command", []string{"render"}, `{"memory":1}`, 1, []string{"vmInstanceUuid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &out, &errOut, nil)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut.String())
			}
			got := out.String() + errOut.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var out bytes.Buffer
		if code := run([]string{arg}, nil, &out, &out, nil); code != 0 {
			t.Fatalf("%s: exit %d", arg, code)
		}
		if !strings.HasPrefix(out.String(), "kvmagent ") || !strings.Contains(out.String(), "upstream kvmagent "+buildinfo.UpstreamRelease+"\n") {
			t.Errorf("%s: %q", arg, out.String())
		}
	}
}
