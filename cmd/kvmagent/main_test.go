package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, environ []string) (Config, error) {
	t.Helper()
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	addFlags(flags)
	if err := flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	return loadConfig(flags, environ)
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "agent.yaml")
	yaml := "libvirt:\n  uri: qemu:///system\nvm:\n  domain_type: qemu\ncallback:\n  retries: 4\nlog:\n  level: debug\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		environ []string
		check   func(Config) bool
	}{
		{"defaults", []string{"--config", file}, nil, func(c Config) bool {
			return c.Listen == "0.0.0.0:7070" && c.Arch == "x86_64" && c.TaskRetention == 10*time.Minute
		}},
		{"file over defaults", []string{"--config", file}, nil, func(c Config) bool {
			return c.LibvirtURI == "qemu:///system" && c.DomainType == "qemu" && c.CallbackRetries == 4 && c.LogLevel == "debug"
		}},
		{"environment over file", []string{"--config", file}, []string{"STRATA_LIBVIRT_URI=test:///default", "STRATA_CALLBACK_RETRIES=7", "PATH=/bin"}, func(c Config) bool {
			return c.LibvirtURI == "test:///default" && c.CallbackRetries == 7
		}},
		{"flags over environment", []string{"--config", file, "--libvirt-uri", "qemu:///session", "--callback-timeout", "3s"}, []string{"STRATA_LIBVIRT_URI=test:///default"}, func(c Config) bool {
			return c.LibvirtURI == "qemu:///session" && c.CallbackTimeout == 3*time.Second
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.args, tt.environ)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
}

func TestConfigRejects(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"domain type", []string{"--domain-type", "xen"}, nil, "vm.domain_type"},
		{"arch", nil, []string{"STRATA_VM_ARCH=ppc64"}, "vm.arch"},
		{"unknown env", nil, []string{"STRATA_LIBVIRT_URL=x"}, "STRATA_LIBVIRT_URL"},
		{"missing explicit file", []string{"--config", "/nonexistent/agent.yaml"}, nil, "/nonexistent/agent.yaml"},
		{"log format", []string{"--log-format", "xml"}, nil, "log.format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.environ)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--help"}, nil, &out, &out, nil); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range settings {
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
