package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/strataagent/strata/upstream/kvmagent"
)

// fifoImage is a FIFO where an image should be: reading it blocks until a
// writer comes, as a hung NFS or iSCSI path does.
func fifoImage(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	return p
}

// releaseFIFO ends the hang for good: the path becomes an empty regular
// file (later opens find it), and a writer appears on the FIFO and leaves,
// so the readers blocked on it read end-of-file (their start then fails).
// O_RDWR never blocks on a FIFO.
func releaseFIFO(t testing.TB, p string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Errorf("release %s: %v", p, err)
		return
	}
	defer f.Close()
	if err := os.Remove(p); err != nil {
		t.Errorf("release %s: %v", p, err)
	}
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Errorf("release %s: %v", p, err)
	}
}

// TestQueriesAnswerWhileStartsHang (issue 16 item 4): as many starts as the
// VM lane has workers, each with FIFO images, take every VM worker; vmsync
// and checkstate still answer, before any start does, on each port.
func TestQueriesAnswerWhileStartsHang(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	ports := []struct {
		name   string
		a      *agent
		srv    *kvmagent.Server
		prefix string
	}{{"stock", a, a.Server, ""}}
	if a.Strata != nil {
		ports = append(ports, struct {
			name   string
			a      *agent
			srv    *kvmagent.Server
			prefix string
		}{"ex", a.ex(), a.Strata.ExServer(), "/ex"})
	}
	for pi, port := range ports {
		t.Run(port.name, func(t *testing.T) {
			workers := port.srv.Config().Lanes[kvmagent.LaneVM].Workers
			dir := t.TempDir()
			var fifos, starts []string
			for i := range workers {
				cmd := exampleA(t)
				cmd["vmInstanceUuid"] = fmt.Sprintf("4a%02d%02d000000000000000000000000fe", pi, i)
				root := fifoImage(t, dir, fmt.Sprintf("root%d.qcow2", i))
				data := fifoImage(t, dir, fmt.Sprintf("data%d.qcow2", i))
				fifos = append(fifos, root, data)
				cmd["rootVolume"].(map[string]any)["installPath"] = root
				cmd["dataVolumes"].([]any)[0].(map[string]any)["installPath"] = data
				body, err := json.Marshal(cmd)
				if err != nil {
					t.Fatal(err)
				}
				id := newTaskUUID()
				if code := port.a.postAsync(t, port.prefix+"/vm/start", id, body); code != http.StatusOK {
					t.Fatalf("start %d: status %d", i, code)
				}
				starts = append(starts, id)
			}
			// Whatever happens below, the hung starts end before the agent stops.
			t.Cleanup(func() {
				for _, p := range fifos {
					releaseFIFO(t, p)
				}
				for _, id := range starts {
					port.a.MN.wait(t, id, 1)
				}
			})
			sync := port.a.call(t, port.prefix+"/vm/vmsync", map[string]any{})
			mustSucceed(t, "vmsync", sync)
			check := port.a.call(t, port.prefix+"/vm/checkstate", map[string]any{"vmUuids": []string{"4a000000000000000000000000000000"}, "hostUuid": "h"})
			mustSucceed(t, "checkstate", check)
			port.a.MN.mu.Lock()
			answered := 0
			for _, id := range starts {
				answered += len(port.a.MN.got[id])
			}
			port.a.MN.mu.Unlock()
			if answered != 0 {
				t.Errorf("%d of %d starts answered before the queries: they did not hang, the test shows nothing", answered, workers)
			}
		})
	}
}

// TestTaskUUIDAcrossPorts (issue 16 item 5): a taskuuid used on :7070 is
// the same task on :7071: a resend there with another path is refused (400,
// naming the first path) and runs nothing; a callback comes only from the
// first.
func TestTaskUUIDAcrossPorts(t *testing.T) {
	requireStrata(t)
	a := startAgent(t, agentOptions{URI: "test:///default"})
	tests := []struct {
		name      string
		first     *agent
		firstPath string
		second    *agent
		path      string
	}{
		{"stock then ex", a, "/vm/vmsync", a.ex(), "/ex/vm/vmsync"},
		{"ex then stock", a.ex(), "/ex/vm/vmsync", a, "/vm/vmsync"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := newTaskUUID()
			if code := tc.first.postAsync(t, tc.firstPath, id, []byte(`{}`)); code != http.StatusOK {
				t.Fatalf("first: status %d", code)
			}
			mustSucceed(t, "first", decodeCallback(t, a.MN.wait(t, id, 1)[0]))
			if code := tc.second.postAsync(t, tc.path, id, []byte(`{}`)); code != http.StatusBadRequest {
				t.Errorf("same taskuuid on the other port: status %d, want 400", code)
			}
			a.Server.Wait()
			a.Strata.ExServer().Wait()
			if n := len(a.MN.wait(t, id, 1)); n != 1 {
				t.Errorf("%d callbacks for one taskuuid across both ports, want 1", n)
			}
		})
	}
}

// TestAsyncWithoutCallbackURL (issue 18 item 7): an async call without a
// callbackurl header is answered 400 with the reason, on each port, and
// nothing runs.
func TestAsyncWithoutCallbackURL(t *testing.T) {
	a := startAgent(t, agentOptions{URI: "test:///default"})
	// With the header the call answers (and libvirt is connected before the
	// agent stops).
	mustSucceed(t, "vmsync with a callbackurl", a.call(t, "/vm/vmsync", map[string]any{}))
	urls := []string{a.URL + "/vm/vmsync"}
	if a.Strata != nil {
		urls = append(urls, a.ExURL+"/ex/vm/vmsync")
	}
	for _, u := range urls {
		req, err := http.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("taskuuid", newTaskUUID())
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Success bool   `json:"success"`
			Error   string `json:"error"`
		}
		derr := json.NewDecoder(rsp.Body).Decode(&env)
		rsp.Body.Close()
		if rsp.StatusCode != http.StatusBadRequest || derr != nil || env.Success || !strings.Contains(env.Error, "callbackurl missing") {
			t.Errorf("%s: %d %+v (%v), want 400 naming the missing callbackurl", u, rsp.StatusCode, env, derr)
		}
	}
}
