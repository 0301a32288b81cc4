package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

// qcow2 makes an empty qcow2 image, which is all a test domain needs.
func qcow2(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if out, err := exec.Command("qemu-img", "create", "-f", "qcow2", p, "64M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v: %s", err, out)
	}
	return p
}

// exampleABody is mn-contract.md's example (a) byte for byte as the
// management node writes it, except that its two image paths point at test
// images.
func exampleABody(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("../upstream/vmplugin/testdata/mn_example_a.json")
	if err != nil {
		t.Fatal(err)
	}
	var cmd struct {
		RootVolume  struct{ InstallPath string }   `json:"rootVolume"`
		DataVolumes []struct{ InstallPath string } `json:"dataVolumes"`
	}
	if err := json.Unmarshal(raw, &cmd); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	body := bytes.Replace(raw, []byte(cmd.RootVolume.InstallPath), []byte(qcow2(t, dir, "root.qcow2")), 1)
	return bytes.Replace(body, []byte(cmd.DataVolumes[0].InstallPath), []byte(qcow2(t, dir, "data.qcow2")), 1)
}

// exampleA is example (a) with test images, as a map for tests that change it.
func exampleA(t testing.TB) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(exampleABody(t), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func domainExists(t testing.TB, a *agent, name string) bool {
	t.Helper()
	found := false
	err := a.Conn.Do(func(c *libvirt.Connect) error {
		d, err := c.LookupDomainByName(name)
		if err != nil {
			return nil
		}
		found = true
		return d.Free()
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func domainXML(t testing.TB, a *agent, name string) string {
	t.Helper()
	var x string
	err := a.Conn.Do(func(c *libvirt.Connect) error {
		d, err := c.LookupDomainByName(name)
		if err != nil {
			return err
		}
		defer d.Free()
		x, err = d.GetXMLDesc(0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestMNExampleAOnTestDriver(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	body := exampleABody(t)
	cmd := map[string]any{}
	if err := json.Unmarshal(body, &cmd); err != nil {
		t.Fatal(err)
	}
	uuid := cmd["vmInstanceUuid"].(string)

	// The management node's example taskuuid, sent twice: the second is the
	// retry of a POST whose answer was lost, after the task ended.
	const task = "6f1c2b7e0d9a4c3e8b5f1a2d3c4e5f60"
	if code := a.postAsync(t, "/vm/start", task, body); code != http.StatusOK {
		t.Fatalf("start: immediate status %d, want exactly 200", code)
	}
	first := a.MN.wait(t, task, 1)[0]
	if got := first.Header.Get("taskuuid"); got != task {
		t.Errorf("callback taskuuid header %q, want %q", got, task)
	}
	mustSucceed(t, "start", decodeCallback(t, first))

	if code := a.postAsync(t, "/vm/start", task, body); code != http.StatusOK {
		t.Fatalf("retried start: immediate status %d, want 200", code)
	}
	second := a.MN.wait(t, task, 2)[1]
	// A second run would answer "is already running"; the retry must get the first run's result.
	mustSucceed(t, "retried start (same task id)", decodeCallback(t, second))

	states := a.call(t, "/vm/checkstate", map[string]any{"vmUuids": []string{uuid, "00000000000000000000000000000000"}, "hostUuid": "h"})
	mustSucceed(t, "checkstate", states)
	got := states["states"].(map[string]any)
	if got[uuid] != "Running" || got["00000000000000000000000000000000"] != "Shutdown" {
		t.Errorf("checkstate states = %v", got)
	}

	// A new task starting the same VM is a real second start: the seed's answer.
	again := a.call(t, "/vm/start", cmd)
	if again["success"] != false || !strings.Contains(again["error"].(string), "is already running") {
		t.Errorf("second start with a new task id: %v", again)
	}

	sync := a.call(t, "/vm/vmsync", map[string]any{})
	mustSucceed(t, "vmsync", sync)
	if sync["states"].(map[string]any)[uuid] != "Running" {
		t.Errorf("vmsync states = %v", sync["states"])
	}

	mustSucceed(t, "pause", a.call(t, "/vm/pause", map[string]any{"uuid": uuid, "timeout": 120}))
	mustSucceed(t, "resume", a.call(t, "/vm/resume", map[string]any{"uuid": uuid, "timeout": 120}))
	mustSucceed(t, "stop", a.call(t, "/vm/stop", map[string]any{"uuid": uuid, "type": "cold", "timeout": 120}))
	if domainExists(t, a, uuid) {
		t.Error("domain still defined after stop (the seed undefines)")
	}
	mustSucceed(t, "destroy of a missing vm", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
}

func TestDuplicateTaskWhileRunningStartsOnce(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	cmd := exampleA(t)
	cmd["vmInstanceUuid"] = "7d1f7c3a9b2e4f60a8c4d2e1b7f9a099"
	body, _ := json.Marshal(cmd)
	task := newTaskUUID()
	for i := 0; i < 3; i++ {
		if code := a.postAsync(t, "/vm/start", task, body); code != http.StatusOK {
			t.Fatalf("try %d: status %d", i, code)
		}
	}
	cbs := a.MN.wait(t, task, 1)
	a.Server.Wait()
	cbs = a.MN.wait(t, task, len(cbs))
	for i, cb := range cbs {
		mustSucceed(t, "callback "+string(rune('0'+i)), decodeCallback(t, cb))
	}
	mustSucceed(t, "destroy", a.call(t, "/vm/destroy", map[string]any{"uuid": cmd["vmInstanceUuid"]}))
}

func TestAsyncWithoutTaskUUID(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	rsp, err := http.Post(a.URL+"/vm/start", "application/json;charset=utf-8", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if rsp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", rsp.StatusCode)
	}
}

// TestReboot: a graceful stop, then a start of the defined XML with the
// boot devices replaced by bootDev. With useBootMenu the root disk carries
// <boot order>, and libvirt refuses os/boot next to it: the seed's reboot
// fails there too, and the agent reports libvirt's reason.
func TestReboot(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	for _, tt := range []struct {
		name        string
		useBootMenu bool
		wantErr     string
	}{
		{"without boot menu", false, ""},
		{"with boot menu", true, "per-device boot elements cannot be used together with os/boot elements"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exampleA(t)
			uuid := "4eb0070000000000000000000000000" + map[bool]string{false: "0", true: "1"}[tt.useBootMenu]
			cmd["vmInstanceUuid"], cmd["useBootMenu"] = uuid, tt.useBootMenu
			mustSucceed(t, "start", a.call(t, "/vm/start", cmd))
			defer a.call(t, "/vm/destroy", map[string]any{"uuid": uuid})
			rsp := a.call(t, "/vm/reboot", map[string]any{"uuid": uuid, "timeout": 1800, "bootDev": []string{"cdrom", "hd"}})
			if tt.wantErr != "" && a.fixedReboot() {
				mustSucceed(t, "strata-agent's fixed reboot", rsp)
				return // TestExRebootBootMenu checks the boot orders
			}
			if tt.wantErr != "" {
				if rsp["success"] != false || !strings.Contains(rsp["error"].(string), tt.wantErr) {
					t.Fatalf("reboot = %v, want libvirt's refusal %q", rsp, tt.wantErr)
				}
				return
			}
			mustSucceed(t, "reboot", rsp)
			if got := a.call(t, "/vm/checkstate", map[string]any{"vmUuids": []string{uuid}})["states"].(map[string]any)[uuid]; got != "Running" {
				t.Errorf("after reboot checkstate = %v, want Running", got)
			}
			if x := domainXML(t, a, uuid); !strings.Contains(x, "<boot dev='cdrom'/>") || !strings.Contains(x, "<boot dev='hd'/>") {
				t.Errorf("reboot did not apply bootDev:\n%s", x)
			}
		})
	}
}

// TestStartReplacesAStoppedDefinition: a VM libvirt still has defined but
// not running is destroyed (and undefined) before the new definition starts.
func TestStartReplacesAStoppedDefinition(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	cmd := exampleA(t)
	const uuid = "57a1ed0000000000000000000000000a"
	cmd["vmInstanceUuid"] = uuid
	mustSucceed(t, "first start", a.call(t, "/vm/start", cmd))
	err := a.Conn.Do(func(c *libvirt.Connect) error {
		d, err := c.LookupDomainByName(uuid)
		if err != nil {
			return err
		}
		defer d.Free()
		return d.Destroy() // stays defined, shut off
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd["vmName"] = "web-01-renamed"
	mustSucceed(t, "start over a stopped definition", a.call(t, "/vm/start", cmd))
	if x := domainXML(t, a, uuid); !strings.Contains(x, "<description>web-01-renamed</description>") {
		t.Errorf("the new definition did not replace the old one:\n%s", x)
	}
	mustSucceed(t, "destroy", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
}
