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
		// Issue 11, finding 1: numbers beyond libvirt's and QEMU's limits.
		{name: "cpuNum 2147483647", mutate: func(c map[string]any) { c["cpuNum"] = 2147483647 },
			want: []string{"cpuNum: 2147483647 exceeds the maximum of 32 vCPUs for domain type kvm"}},
		{name: "qxl with VDIMonitorNumber 2147483647", mutate: func(c map[string]any) { c["videoType"], c["VDIMonitorNumber"] = "qxl", 2147483647 },
			want: []string{"VDIMonitorNumber: 2147483647 is out of range [0, 4] qxl monitors"}},
		{name: "huge memory", mutate: func(c map[string]any) { c["memory"] = int64(9223372036854775807) },
			want: []string{"memory: 9223372036854775807 bytes exceeds the maximum of 70368744177664 (64 TiB)"}},
		{name: "negative memory", mutate: func(c map[string]any) { c["memory"] = -1 }, want: []string{"memory: -1 bytes is below the minimum of 1024 (1 KiB)"}},
		{name: "negative cpuNum", mutate: func(c map[string]any) { c["cpuNum"] = -2 }, want: []string{"cpuNum: -2 is below the minimum of 1"}},
		{name: "negative deviceId", mutate: func(c map[string]any) { dataVolume(c)["deviceId"] = -1 }, want: []string{"dataVolumes[0].deviceId: -1 is negative"}},
		{name: "negative timeout", mutate: func(c map[string]any) { c["timeout"] = -1 }, want: []string{"timeout: -1 is out of range [0, 10800] seconds"}},
		{name: "cpu shares beyond cgroups", mutate: func(c map[string]any) { c["cpuSpeed"] = int64(1) << 40 },
			want: []string{"cpuSpeed: 1099511627776 exceeds the maximum of 262144 cpu shares"}},
		{name: "topology beyond cpuNum", mutate: func(c map[string]any) { c["socketNum"], c["cpuOnSocket"] = 2147483647, 2147483647 },
			want: []string{"socketNum: 2147483647 exceeds the maximum of 32 vCPUs for domain type kvm"}},
		{name: "volume QoS beyond QEMU's throttle limit", mutate: func(c map[string]any) {
			uuid := c["rootVolume"].(map[string]any)["volumeUuid"].(string)
			addons(c)["VolumeQos"] = map[string]any{uuid: map[string]any{"totalBandwidth": int64(1) << 62}}
		}, want: []string{"totalBandwidth: 4611686018427387904 is out of range [0, 1000000000000000]"}},
		{name: "NIC QoS beyond libvirt's bandwidth", mutate: func(c map[string]any) {
			addons(c)["NicQos"] = map[string]any{nic0(c)["uuid"].(string): map[string]any{"inboundBandwidth": int64(1) << 62}}
		}, want: []string{"inboundBandwidth: 4611686018427387904 bits/s is out of range [8192, 35184372088831]"}},
		// Issue 11, finding 4: duplicates are refused before any qemu-img.
		{name: "data deviceId of the root", mutate: func(c map[string]any) { dataVolume(c)["deviceId"] = 0 },
			want: []string{"dataVolumes[0].deviceId: 0 is also the deviceId of rootVolume"}},
		{name: "duplicate data deviceId", mutate: func(c map[string]any) {
			c["dataVolumes"] = append(c["dataVolumes"].([]any), dataVolume(c))
		}, want: []string{"dataVolumes[1].deviceId: 1 is also the deviceId of dataVolumes[0]"}},
		{name: "duplicate NIC deviceId", mutate: func(c map[string]any) { c["nics"] = append(c["nics"].([]any), nic0(c)) },
			want: []string{"nics[1].deviceId: 0 is also the deviceId of nics[0]"}},
		{name: "duplicate ISO deviceId", mutate: func(c map[string]any) {
			c["bootIso"] = []any{map[string]any{"path": "/tmp/a.iso", "deviceId": 1}, map[string]any{"path": "/tmp/b.iso", "deviceId": 1}}
		}, want: []string{"bootIso[1].deviceId: 1 is also the deviceId of bootIso[0]"}},
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
