package configyaml

import (
	"bytes"
	"strings"
	"testing"

	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/v2"

	"github.com/strataagent/strata/upstream/agent"
)

func TestIsSecret(t *testing.T) {
	for key, want := range map[string]bool{
		"auth.stock.token": true, "callback.password": true, "auth.stock.token_file": false,
		"libvirt.uri": false, "libvirt.keepalive_count": false, "layers.uefi.nvram_dir": false,
	} {
		if got := IsSecret(key); got != want {
			t.Errorf("IsSecret(%q) = %v", key, got)
		}
	}
}

func TestDumpMasks(t *testing.T) {
	k := koanf.New(".")
	_ = k.Load(confmap.Provider(map[string]any{
		"libvirt.uri":        "qemu+tls://h/system",
		"auth.api_token":     "s3cr3t-value",
		"layers.declarative": []any{map[string]any{"name": "x", "password": "hunter2"}},
	}, "."), nil)
	var b bytes.Buffer
	extra := []agent.Setting{{Key: "auth.api_token", Flag: "api-token", Default: "", Help: "t"}}
	if err := Dump(&b, k, "/etc/strata/agent.yaml", extra); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t-value", "hunter2"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("dump shows %q:\n%s", secret, b.String())
		}
	}
	if !strings.Contains(b.String(), "uri: qemu+tls://h/system") || strings.Count(b.String(), Mask) != 2 {
		t.Errorf("dump:\n%s", b.String())
	}
}
