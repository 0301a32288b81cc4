package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
)

// postSync sends a sync call as the management node does: Content-Type
// application/json only, no taskuuid.
func (a *agent) postSync(t testing.TB, path string, body []byte) (int, []byte) {
	t.Helper()
	rsp, err := http.Post(a.URL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	data, _ := io.ReadAll(rsp.Body)
	return rsp.StatusCode, data
}

// TestHostConnectSequence is the management node's (re)connect: echo, fact,
// connect, vmsync, capacity, then ping.
func TestHostConnectSequence(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})

	code, body := a.postSync(t, "/host/echo", nil)
	if code != http.StatusOK || len(bytes.TrimSpace(body)) != 0 {
		t.Errorf("echo: %d %q, want 200 with an empty body", code, body)
	}

	fact := a.call(t, "/host/fact", map[string]any{})
	mustSucceed(t, "fact", fact)
	for _, k := range []string{"libvirtVersion", "qemuImgVersion"} {
		if s, _ := fact[k].(string); s == "" {
			t.Errorf("fact: %s = %v, want a version", k, fact[k])
		}
	}

	// The management node refuses a host whose fact has no hvmCpuFlag.
	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err == nil {
		f.Close()
		if s, _ := fact["hvmCpuFlag"].(string); s != "vmx" && s != "svm" {
			t.Errorf("fact: hvmCpuFlag = %v on a host with a usable /dev/kvm", fact["hvmCpuFlag"])
		}
	}

	const hostUUID = "8e2d4c6a1f3b4a5c9d7e0f1a2b3c4d5e"
	req, _ := json.Marshal(map[string]any{"hostUuid": hostUUID, "sendCommandUrl": "http://127.0.0.1:8080/zstack/asyncrest/sendcommand", "iptablesRules": []string{}})
	code, body = a.postSync(t, "/host/connect", req)
	var conn map[string]any
	if err := json.Unmarshal(body, &conn); err != nil || code != http.StatusOK {
		t.Fatalf("connect: %d %s (%v)", code, body, err)
	}
	if conn["success"] != true || conn["iptablesSucc"] != true {
		t.Errorf("connect: success and iptablesSucc must both be true: %s", body)
	}
	for _, k := range []string{"libvirtVersion", "qemuVersion"} {
		if s, _ := conn[k].(string); s == "" {
			t.Errorf("connect: %s missing: %s", k, body)
		}
	}

	mustSucceed(t, "vmsync", a.call(t, "/vm/vmsync", map[string]any{}))
	capacity := a.call(t, "/host/capacity", map[string]any{})
	mustSucceed(t, "capacity", capacity)
	if tm, _ := capacity["totalMemory"].(float64); tm < 1<<30 {
		t.Errorf("capacity totalMemory = %v, want at least 1 GiB", capacity["totalMemory"])
	}
	for _, k := range []string{"cpuNum", "cpuSockets", "usedCpu", "usedMemory"} {
		if _, ok := capacity[k].(float64); !ok {
			t.Errorf("capacity: %s missing: %v", k, capacity)
		}
	}

	ping := a.call(t, "/host/ping", map[string]any{"hostUuid": hostUUID})
	mustSucceed(t, "ping", ping)
	if ping["hostUuid"] != hostUUID {
		t.Errorf("ping hostUuid = %v, want the one connect stored", ping["hostUuid"])
	}
}

func TestSyncURIRefusesTaskUUID(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/host/echo", nil)
	req.Header.Set("taskuuid", newTaskUUID())
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if rsp.StatusCode == http.StatusOK {
		t.Error("a sync URI called with a taskuuid was served as if sync")
	}
}
