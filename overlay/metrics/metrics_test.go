package metrics

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestTapCounts: the stock server's log events move the counters whatever
// the log level, and every record still reaches the output it would.
func TestTapCounts(t *testing.T) {
	m := New()
	m.Lanes("ex", map[string]string{"/ex/host/ping": "host"})
	var out bytes.Buffer
	log := slog.New(m.Tap(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelError})))
	srv := log.With(PortAttr, "ex")
	srv.Info("libvirt connected", "uri", "test:///default")
	srv.Info("request", "path", "/ex/host/ping", "taskuuid", "t1", "async", true)
	srv.Info("request", "path", "/ex/host/ping", "taskuuid", "t1", "async", true)
	srv.Info("ignored duplicated task", "taskuuid", "t1", "path", "/ex/host/ping")
	if got := testutil.ToFloat64(m.tasksInFlight.WithLabelValues("ex", "host")); got != 1 {
		t.Errorf("in flight %v, want 1", got)
	}
	srv.Info("task done", "taskuuid", "t1", "path", "/ex/host/ping")
	cb := srv.With("taskuuid", "t1", "path", "/ex/host/ping")
	cb.Warn("callback failed", "try", 1)
	cb.Info("callback delivered", "try", 2)
	cb.Error("callback given up: no tries left", "tries", 15)
	srv.Info("libvirt connected", "uri", "test:///default")
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"in flight", testutil.ToFloat64(m.tasksInFlight.WithLabelValues("ex", "host")), 0},
		{"done", testutil.ToFloat64(m.tasks.WithLabelValues("ex", "host", "done")), 1},
		{"retried", testutil.ToFloat64(m.callbacks.WithLabelValues("ex", "retried")), 1},
		{"delivered", testutil.ToFloat64(m.callbacks.WithLabelValues("ex", "delivered")), 1},
		{"given up", testutil.ToFloat64(m.callbacks.WithLabelValues("ex", "given_up")), 1},
		{"connects", testutil.ToFloat64(m.libvirtConnects), 2},
		{"reconnects", testutil.ToFloat64(m.reconnects), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1 || !strings.Contains(out.String(), "callback given up") {
		t.Errorf("output at level error:\n%s", out.String())
	}
}

func TestStartPhases(t *testing.T) {
	m := New()
	var p StartPhases = m
	for _, ph := range []string{PhaseValidate, PhaseBuild, PhaseLayers, PhaseDefine, PhaseStart} {
		p.Observe(ph, time.Millisecond)
	}
	if n := testutil.CollectAndCount(m.startPhase); n != 5 {
		t.Errorf("%d phase series, want 5", n)
	}
	Discard.Observe(PhaseStart, time.Second)
}

func TestTapLayers(t *testing.T) {
	m := New()
	log := slog.New(m.Tap(slog.DiscardHandler))
	log.Info("layers applied", "vm", "v1", "layers", "machine,tags", "changes", 3)
	log.Warn("layer conflict", "first", "machine", "second", "x", "path", "/domain/os")
	if a, b, c := testutil.ToFloat64(m.layersApplied.WithLabelValues("machine")), testutil.ToFloat64(m.layersApplied.WithLabelValues("tags")),
		testutil.ToFloat64(m.conflicts.WithLabelValues("warn")); a != 1 || b != 1 || c != 1 {
		t.Errorf("applied machine %v tags %v, conflicts %v", a, b, c)
	}
}
