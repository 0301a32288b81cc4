package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBadStartInput sends broken start commands through the API: each must
// come back as success:false with an error naming the field, leave no domain
// defined, and leave the agent serving.
func TestBadStartInput(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	const uuid = "badc0de09b2e4f60a8c4d2e1b7f9a013"
	tests := []struct {
		name   string
		raw    string // sent as is when set
		mutate func(cmd map[string]any)
		want   []string // all must appear in the error
	}{
		{name: "malformed JSON", raw: `{"vmInstanceUuid":"` + uuid + `",`, want: []string{"malformed JSON"}},
		{name: "missing vmInstanceUuid", mutate: func(c map[string]any) { delete(c, "vmInstanceUuid") }, want: []string{"vmInstanceUuid"}},
		{name: "unknown deviceType", mutate: func(c map[string]any) { dataVolume(c)["deviceType"] = "nfs" }, want: []string{"unknown volume deviceType: nfs"}},
		{name: "deviceId 25", mutate: func(c map[string]any) { dataVolume(c)["deviceId"] = 25 }, want: []string{"exceeds max disk limit, it's 25 but only 26 allowed"}},
		{name: "malformed PCI address", mutate: func(c map[string]any) { addons(c)["pciDevice"] = []string{"00:zz.1"} }, want: []string{"pciDevice"}},
		{name: "PCI address without function", mutate: func(c map[string]any) { addons(c)["pciDevice"] = []string{"00:1f"} }, want: []string{"pciDevice"}},
		{name: "USB address with too few parts", mutate: func(c map[string]any) { addons(c)["usbDevice"] = []string{"1:2:0x1d6b"} }, want: []string{"usbDevice"}},
		{name: "USB address not numeric", mutate: func(c map[string]any) { addons(c)["usbDevice"] = []string{"x:2:1d6b:0002:2.0"} }, want: []string{"usbDevice"}},
		{name: "iscsi path that does not parse", mutate: func(c map[string]any) {
			v := dataVolume(c)
			v["deviceType"], v["installPath"] = "iscsi", "iscsi://10.0.0.5/iqn.2018-03.org.example:t1"
		}, want: []string{"installPath"}},
		{name: "shell metacharacter in a path", mutate: func(c map[string]any) { dataVolume(c)["installPath"] = "/tmp/x.qcow2;reboot" }, want: []string{"dataVolumes[0].installPath", "metacharacter"}},
		{name: "shell metacharacter in a bridge", mutate: func(c map[string]any) { nic0(c)["bridgeName"] = "br0$(id)" }, want: []string{"nics[0].bridgeName"}},
		{name: "command substitution in the channel", mutate: func(c map[string]any) {
			addons(c)["channel"].(map[string]any)["socketPath"] = "/var/lib/libvirt/qemu/`id`"
		}, want: []string{"socketPath"}},
		{name: "vm uuid with a path", mutate: func(c map[string]any) { c["vmInstanceUuid"] = "../../etc/passwd" }, want: []string{"vmInstanceUuid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.raw)
			if tt.raw == "" {
				cmd := exampleA(t)
				cmd["vmInstanceUuid"] = uuid
				tt.mutate(cmd)
				body, _ = json.Marshal(cmd)
			}
			id := newTaskUUID()
			if code := a.postAsync(t, "/vm/start", id, body); code != http.StatusOK {
				t.Fatalf("immediate status %d, want 200", code)
			}
			cb := a.MN.wait(t, id, 1)[0]
			rsp := decodeCallback(t, cb)
			errText, _ := rsp["error"].(string)
			if rsp["success"] != false {
				t.Fatalf("success = %v, want false", rsp["success"])
			}
			for _, w := range tt.want {
				if !strings.Contains(errText, w) {
					t.Errorf("error %q does not contain %q", errText, w)
				}
			}
			if cb.Header.Get("error") == "" {
				t.Error("failed callback carries no error header")
			}
			if domainExists(t, a, uuid) {
				t.Error("a domain was left defined")
			}
			if code, _ := a.postSync(t, "/host/echo", nil); code != http.StatusOK {
				t.Errorf("agent stopped serving: echo answered %d", code)
			}
		})
	}
}

func dataVolume(c map[string]any) map[string]any { return c["dataVolumes"].([]any)[0].(map[string]any) }
func addons(c map[string]any) map[string]any     { return c["addons"].(map[string]any) }
func nic0(c map[string]any) map[string]any       { return c["nics"].([]any)[0].(map[string]any) }
