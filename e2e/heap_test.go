package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/strataagent/strata/overlay/agentex"
	stockagent "github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
)

// TestHeapSteadyOverStartDestroyCycles (issue 18, item 10): 1,000 cycles,
// each starting and then destroying the same 10 VMs, through each port
// (stock /vm/start, ex /ex/vm/start) on test:///default. The Go heap in use
// after the last cycle is within 1 MiB of its level after cycle 100.
//
// Finished tasks are kept tasks.retention (10m) to answer resent requests,
// bounded by tasks.limit: by design, not a leak, so the agent here keeps
// them 1 ms, and the management node stand-in forgets each callback once
// read. STRATA_HEAP_CYCLES changes the count (the check needs more than 100).
func TestHeapSteadyOverStartDestroyCycles(t *testing.T) {
	requireStrata(t)
	if testing.Short() {
		t.Skip("20,000 starts and destroys per port")
	}
	if raceEnabled {
		t.Skip("the race detector's own memory makes the heap figure meaningless (run without -race)")
	}
	cycles := 1000
	if s := os.Getenv("STRATA_HEAP_CYCLES"); s != "" {
		cycles, _ = strconv.Atoi(s)
	}
	cfg := stockagent.DefaultConfig()
	cfg.Listen, cfg.LibvirtURI, cfg.TaskRetention, cfg.ShutdownTimeout = "127.0.0.1:0", "test:///default", time.Millisecond, hangGuard
	cfg.LogLevel = "warn"
	log := cfg.Logger(testWriter{t})
	opts := agentex.Options{Options: stockagent.Options{Logger: log, TuneServer: func(sc *kvmagent.ServerConfig) {
		sc.CallbackBackoff = 50 * time.Millisecond
	}}}
	a := startStrata(t, cfg, nil, opts)

	base := exampleA(t)
	const vms = 10
	starts := make([][]byte, vms)
	destroys := make([][]byte, vms)
	for i := range vms {
		uuid := fmt.Sprintf("4ea90000000000000000000000000%03d", i)
		cmd := map[string]any{}
		for k, v := range base {
			cmd[k] = v
		}
		cmd["vmInstanceUuid"], cmd["vmName"] = uuid, "heap-"+strconv.Itoa(i)
		starts[i], _ = json.Marshal(cmd)
		destroys[i], _ = json.Marshal(map[string]any{"uuid": uuid})
	}
	for _, r := range startRoutes {
		t.Run(r.name, func(t *testing.T) {
			on := r.on(a)
			var after100 uint64
			t0 := time.Now()
			for c := 1; c <= cycles; c++ {
				batch(t, on, r.path, starts)
				batch(t, a, "/vm/destroy", destroys)
				if c == 100 {
					after100 = heapInUse()
				}
			}
			end := heapInUse()
			t.Logf("%s: %d cycles of %d VMs in %s; heap in use after cycle 100: %d bytes (%.2f MiB), after cycle %d: %d bytes (%.2f MiB), difference %+d bytes",
				r.name, cycles, vms, time.Since(t0).Round(time.Millisecond), after100, mib(after100), cycles, end, mib(end), int64(end)-int64(after100))
			if cycles > 100 && end > after100+1<<20 {
				t.Errorf("heap in use grew %d bytes after cycle 100 (limit 1 MiB)", end-after100)
			}
		})
	}
}

// batch posts one call per body, waits for every callback, fails on an
// unsuccessful one, and forgets the callbacks (the stand-in MN would grow).
func batch(t *testing.T, a *agent, path string, bodies [][]byte) {
	t.Helper()
	ids := make([]string, len(bodies))
	for i, body := range bodies {
		ids[i] = newTaskUUID()
		if code := a.postAsync(t, path, ids[i], body); code != http.StatusOK {
			t.Fatalf("%s: immediate status %d", path, code)
		}
	}
	for _, id := range ids {
		mustSucceed(t, path, decodeCallback(t, a.MN.wait(t, id, 1)[0]))
		a.MN.mu.Lock()
		delete(a.MN.got, id)
		a.MN.mu.Unlock()
	}
}

// heapInUse is runtime.MemStats.HeapInuse after two collections.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
