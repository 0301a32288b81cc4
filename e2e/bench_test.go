package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Benchmarks run only with -bench (bench/ex_vs_stock.sh runs them), in the
// strata-agent run of the suite: its :7070 serves the stock /vm/start
// handler itself (vmplugin.(*VmPlugin).StartVm, with its process-wide start
// lock), so both sides share one agent, one libvirt connection and one
// HTTP stack, and differ only in the start path.

// startRoute is one side of a comparison: the stock start on :7070 or the
// ex start on :7071.
type startRoute struct {
	name string
	on   func(a *agent) *agent
	path string
}

var startRoutes = []startRoute{
	{"stock", func(a *agent) *agent { return a }, "/vm/start"},
	{"ex", (*agent).ex, "/ex/vm/start"},
}

// startBatch posts one start per body, then waits for every callback (one
// waiter, so no wake-up is lost), failing on an unsuccessful start.
func startBatch(b *testing.B, a *agent, path string, bodies [][]byte) {
	b.Helper()
	ids := make([]string, len(bodies))
	for i, body := range bodies {
		ids[i] = newTaskUUID()
		if code := a.postAsync(b, path, ids[i], body); code != http.StatusOK {
			b.Fatalf("%s: immediate status %d", path, code)
		}
	}
	for _, id := range ids {
		mustSucceed(b, path, decodeCallback(b, a.MN.wait(b, id, 1)[0]))
	}
}

// destroyBatch destroys the VMs through :7070, outside the timed region.
func destroyBatch(b *testing.B, a *agent, uuids []string) {
	b.Helper()
	bodies := make([][]byte, len(uuids))
	for i, u := range uuids {
		bodies[i], _ = json.Marshal(map[string]any{"uuid": u})
	}
	startBatch(b, a, "/vm/destroy", bodies)
}

// BenchmarkStartOnTestDriver: /ex/vm/start against /vm/start of the same
// command (example (a), no ex block) on test:///default; ns/op is one start,
// POST to callback. The destroy after each start is not timed.
func BenchmarkStartOnTestDriver(b *testing.B) {
	requireStrata(b)
	a := startAgent(b, agentOptions{URI: "test:///default"})
	cmd := exampleA(b)
	uuid := cmd["vmInstanceUuid"].(string)
	body, err := json.Marshal(cmd)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range startRoutes {
		b.Run(r.name, func(b *testing.B) {
			on := r.on(a)
			for range b.N {
				startBatch(b, on, r.path, [][]byte{body})
				b.StopTimer()
				destroyBatch(b, a, []string{uuid})
				b.StartTimer()
			}
		})
	}
}

// BenchmarkConcurrentStart8OnLibvirtd: 8 distinct VMs started at once on
// the real libvirtd, stock against ex; ns/op is the wall time of the whole
// batch (the 8 POSTs to the last callback). The stock start holds its
// process-wide lock around define, create and the wait for the VM (and its
// VNC port) to come up; the ex start holds only each VM's lock.
func BenchmarkConcurrentStart8OnLibvirtd(b *testing.B) {
	requireStrata(b)
	requireLibvirtd(b)
	domainType := "qemu"
	if kvmWorks(b) {
		domainType = "kvm"
	}
	channelDir := b.TempDir()
	a := startAgent(b, agentOptions{URI: systemURI, DomainType: domainType, ConfinedDirs: []string{channelDir}})
	const n = 8
	uuids := make([]string, n)
	bodies := make([][]byte, n)
	for i := range n {
		uuids[i] = fmt.Sprintf("be0c0000000000000000000000000%03d", i)
		cleanupDomain(b, uuids[i])
		var err error
		if bodies[i], err = json.Marshal(minimalVM(b, uuids[i], channelDir)); err != nil {
			b.Fatal(err)
		}
	}
	for _, r := range startRoutes {
		b.Run(r.name, func(b *testing.B) {
			on := r.on(a)
			var total time.Duration
			for range b.N {
				t0 := time.Now()
				startBatch(b, on, r.path, bodies)
				total += time.Since(t0)
				b.StopTimer()
				destroyBatch(b, a, uuids)
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/batch")
		})
	}
}
