package agent

import (
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
	if err := AddFlags(flags); err != nil {
		t.Fatal(err)
	}
	if err := flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := LoadConfig(flags, environ)
	return cfg, err
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

// A downstream adds its own settings to the same flags, environment and
// file, and reads them from the koanf; a name defined twice is refused.
func TestExtraSettings(t *testing.T) {
	extra := []Setting{{"ex.listen", "ex-listen", "0.0.0.0:7071", "the overlay's port"}, {"ex.enabled", "ex-enabled", true, "serve the overlay"}}
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	if err := AddFlags(flags, extra); err != nil {
		t.Fatal(err)
	}
	if err := flags.Parse([]string{"--config", "/dev/null", "--ex-enabled=false"}); err != nil {
		t.Fatal(err)
	}
	cfg, k, err := LoadConfig(flags, []string{"STRATA_EX_LISTEN=127.0.0.1:9071"}, extra)
	if err != nil {
		t.Fatal(err)
	}
	if k.String("ex.listen") != "127.0.0.1:9071" || k.Bool("ex.enabled") || cfg.Listen != "0.0.0.0:7070" {
		t.Errorf("ex.listen %q, ex.enabled %v, listen %q", k.String("ex.listen"), k.Bool("ex.enabled"), cfg.Listen)
	}
	for _, dup := range [][]Setting{
		{{"listen", "other", "", ""}},
		{{"other", "listen", "", ""}},
		{{"libvirt_uri", "x", "", ""}}, // STRATA_LIBVIRT_URI again
	} {
		if err := AddFlags(pflag.NewFlagSet("dup", pflag.ContinueOnError), dup); err == nil || !strings.Contains(err.Error(), "defined twice") {
			t.Errorf("%v: err = %v, want a duplicate refused", dup, err)
		}
	}
}

func TestSettingsIsACopy(t *testing.T) {
	s := Settings()
	s[0].Default = "mutated"
	if Settings()[0].Default == "mutated" || DefaultConfig().Listen != "0.0.0.0:7070" {
		t.Error("editing Settings() changed the agent's table")
	}
}
