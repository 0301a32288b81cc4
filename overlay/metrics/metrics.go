// Package metrics is strata-agent's Prometheus instrumentation, served on
// the admin listener's /metrics (overlay/admin).
//
// The stock HTTP server (upstream/kvmagent) is vendor code with no metrics
// hook, so the overlay observes it through the two seams it has:
//   - Instrument adds a gin middleware to a server's engine (before any URI
//     is registered), which sees every request with its route and status;
//   - Tap wraps the agent's slog handler and counts the server's and the
//     libvirt connection's own log events (callback delivered, failed,
//     given up; task done, failed; libvirt connected), whatever the log
//     level lets through to the output.
//
// The overlay's own lines are counted the same way: "layers applied" (per
// layer) and the chain's "layer conflict" (policy warn). The VM start
// phases, and conflicts under policy fail (which fail the start instead of
// logging), come from the ex start pipeline through StartPhases and
// LayerEvents.
//
// What the seams cannot see, and the upstream hook each would need:
//   - tasks queued apart from running, per lane: kvmagent.Server has no
//     accessor; strata_tasks_in_flight counts admitted and unfinished tasks
//     (queued + running). Hook: Server.LaneStats() (workers busy, queued).
//   - callback outcomes without parsing log messages: a
//     ServerConfig.OnCallback(path string, try int, status int, err error,
//     final bool) callback would replace the message matching in tap.go.
//   - the stock /vm/start's phases: vmplugin builds, defines and starts in
//     one call; a vmplugin.PluginConfig.Phases StartPhases-like field would
//     time them the way the ex pipeline does.
package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/strataagent/strata/upstream/virtconn"
)

// StartPhases records how long one phase of a VM start took. The ex start
// pipeline (overlay/start) calls Observe once per phase and start, with
// phase one of PhaseValidate, PhaseBuild, PhaseLayers, PhaseDefine and
// PhaseStart; an unknown phase is recorded under its own name. *Metrics
// implements it; Discard is the no-op for tests and render.
type StartPhases interface {
	Observe(phase string, d time.Duration)
}

// LayerEvents records the layer chain's outcome per request: each layer
// applied, and each conflict with the policy that handled it (fail, warn).
type LayerEvents interface {
	LayerApplied(layer string)
	LayerConflict(policy string)
}

// The phases of a VM start, in order.
const (
	PhaseValidate = "validate"
	PhaseBuild    = "build"
	PhaseLayers   = "layers"
	PhaseDefine   = "define"
	PhaseStart    = "start"
)

// Discard records nothing.
var Discard discard

type discard struct{}

func (discard) Observe(string, time.Duration) {}
func (discard) LayerApplied(string)           {}
func (discard) LayerConflict(string)          {}

// Metrics is one agent's collectors, in their own registry.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	tasks           *prometheus.CounterVec
	tasksInFlight   *prometheus.GaugeVec
	callbacks       *prometheus.CounterVec
	libvirtConnects prometheus.Counter
	reconnects      prometheus.Counter
	reloads         *prometheus.CounterVec
	generation      prometheus.Gauge
	startPhase      *prometheus.HistogramVec
	layersApplied   *prometheus.CounterVec
	conflicts       *prometheus.CounterVec

	mu        sync.Mutex
	connected bool             // libvirt was up once: a later "connected" is a reconnect
	lanes     map[string]lanes // port → path → lane
}

type lanes map[string]string

// New builds the collectors; WatchConn adds the connection state.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_http_requests_total",
			Help: "HTTP requests answered, by port (stock, ex), route (the registered URI; unmatched for others) and outcome (ok 2xx, client_error 4xx, server_error 5xx).",
		}, []string{"port", "route", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strata_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by port and route (an async URI answers at admission; its task is strata_tasks_total).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"port", "route"}),
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_tasks_total",
			Help: "Async tasks finished, by port, lane and outcome (done, failed).",
		}, []string{"port", "lane", "outcome"}),
		tasksInFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "strata_tasks_in_flight",
			Help: "Async tasks admitted and not yet finished (queued or running), by port and lane.",
		}, []string{"port", "lane"}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_callbacks_total",
			Help: "Callback POSTs to the management node, by port and result: delivered, refused (4xx), retried (a failed try followed by another), given_up.",
		}, []string{"port", "result"}),
		libvirtConnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_libvirt_connects_total",
			Help: "Times the libvirt connection came up, the first time included.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_libvirt_reconnects_total",
			Help: "Times the libvirt connection came up again after it was up once.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_config_reloads_total",
			Help: "Configuration reloads (SIGHUP, POST /reload), by outcome: applied, refused.",
		}, []string{"outcome"}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "strata_config_generation",
			Help: "Generation of the layer set in use: 1 at start, one more per applied reload.",
		}),
		startPhase: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strata_vm_start_phase_duration_seconds",
			Help:    "Duration of each phase of a VM start: validate, build, layers, define, start.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"phase"}),
		layersApplied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_layers_applied_total",
			Help: "Layers applied to a start's domain, by layer.",
		}, []string{"layer"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_layer_conflicts_total",
			Help: "Two layers writing one path in a request, by the policy that handled it (fail, warn).",
		}, []string{"policy"}),
		lanes: map[string]lanes{},
	}
	m.reg.MustRegister(m.requests, m.latency, m.tasks, m.tasksInFlight, m.callbacks, m.libvirtConnects, m.reconnects,
		m.reloads, m.generation, m.startPhase, m.layersApplied, m.conflicts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchConn exports conn's state as strata_libvirt_connection_state (once).
func (m *Metrics) WatchConn(conn *virtconn.Conn) {
	for _, st := range []virtconn.Status{virtconn.StatusConnecting, virtconn.StatusUp, virtconn.StatusDown} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "strata_libvirt_connection_state",
			Help:        "1 for the libvirt connection's current state (connecting, up, down), 0 for the others.",
			ConstLabels: prometheus.Labels{"state": st.String()},
		}, func() float64 {
			if conn.State().Status == st {
				return 1
			}
			return 0
		}))
	}
}

// Registry is what /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Instrument counts every request of engine under port. Call it before
// any URI is registered: gin gives a middleware only to routes added after it.
func (m *Metrics) Instrument(engine *gin.Engine, port string) {
	engine.Use(func(c *gin.Context) {
		begin := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(port, route, outcome(c.Writer.Status())).Inc()
		m.latency.WithLabelValues(port, route).Observe(time.Since(begin).Seconds())
	})
}

// Lanes tells the tap which lane each async path of port runs in (from
// kvmagent.Server.Routes, after registration).
func (m *Metrics) Lanes(port string, pathLane map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lanes[port] = pathLane
}

func (m *Metrics) lane(port, path string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.lanes[port][path]; ok {
		return l
	}
	return "unknown"
}

func outcome(status int) string {
	switch {
	case status >= 500:
		return "server_error"
	case status >= 400:
		return "client_error"
	case status >= 200 && status < 300:
		return "ok"
	}
	return strconv.Itoa(status)
}

// Reload records a configuration reload and, when applied, the generation now in use.
func (m *Metrics) Reload(err error, generation uint64) {
	if err != nil {
		m.reloads.WithLabelValues("refused").Inc()
		return
	}
	m.reloads.WithLabelValues("applied").Inc()
	m.generation.Set(float64(generation))
}

// SetGeneration records the layer generation in use (at start-up).
func (m *Metrics) SetGeneration(g uint64) { m.generation.Set(float64(g)) }

// Observe implements StartPhases.
func (m *Metrics) Observe(phase string, d time.Duration) {
	m.startPhase.WithLabelValues(phase).Observe(d.Seconds())
}

// LayerApplied implements LayerEvents.
func (m *Metrics) LayerApplied(layer string) { m.layersApplied.WithLabelValues(layer).Inc() }

// LayerConflict implements LayerEvents.
func (m *Metrics) LayerConflict(policy string) { m.conflicts.WithLabelValues(policy).Inc() }

// Interface guards.
var (
	_ StartPhases = (*Metrics)(nil)
	_ LayerEvents = (*Metrics)(nil)
	_ StartPhases = Discard
	_ LayerEvents = Discard
)
