// Package admin is strata-agent's admin listener (admin.listen, loopback
// by default, off with admin.enabled=false): the operator's handles, never
// served on the management node's ports.
//
//	GET  /livez            the process serves ("ok"); ?verbose lists the checks
//	GET  /readyz           every readiness check passes: libvirt connected,
//	                       configuration loaded, layer generation; ?verbose
//	                       lists each check on its own line, as kube-apiserver does
//	GET  /metrics          Prometheus metrics (overlay/metrics)
//	GET  /debug/pprof/...  net/http/pprof
//	GET  /config           the effective configuration, secrets masked
//	                       (the same text as `strata-agent config dump`)
//	POST /reload           validate and apply the configuration file, answering
//	                       with the new generation and what changed, or the refusal
package admin

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness check: nil when ready, else why not.
type Check struct {
	Name  string
	Check func() error
}

// ReloadResult is what POST /reload answers.
type ReloadResult struct {
	Applied    bool     `json:"applied"`
	Generation uint64   `json:"generation"`        // in use after the call
	Added      []string `json:"added,omitempty"`   // declarative layers new in this generation
	Removed    []string `json:"removed,omitempty"` // declarative layers gone
	Changed    []string `json:"changed,omitempty"` // declarative layers kept with another definition
	Error      string   `json:"error,omitempty"`   // the refusal, file:line: key
}

// Options are the admin handler's parts; a nil one answers 404 or is skipped.
type Options struct {
	Ready    []Check
	Registry prometheus.Gatherer
	Config   func() (string, error)
	Reload   func() ReloadResult
	Logger   *slog.Logger
}

// Handler is the admin API.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		report(w, r, "livez", []Check{{Name: "ping", Check: func() error { return nil }}}, o.Logger)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		report(w, r, "readyz", o.Ready, o.Logger)
	})
	if o.Registry != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)}))
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if o.Config != nil {
		mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) {
			text, err := o.Config()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
			fmt.Fprint(w, text)
		})
	}
	if o.Reload != nil {
		mux.HandleFunc("POST /reload", func(w http.ResponseWriter, r *http.Request) {
			res := o.Reload()
			w.Header().Set("Content-Type", "application/json")
			if !res.Applied {
				w.WriteHeader(http.StatusUnprocessableEntity)
			}
			_ = json.NewEncoder(w).Encode(res)
		})
	}
	return mux
}

// report answers a health endpoint: "ok" or, with ?verbose or on failure,
// one "[+]name ok" or "[-]name failed: why" line per check and a summary.
func report(w http.ResponseWriter, r *http.Request, what string, checks []Check, log *slog.Logger) {
	var b strings.Builder
	failed := 0
	for _, c := range checks {
		if err := c.Check(); err != nil {
			failed++
			fmt.Fprintf(&b, "[-]%s failed: %v\n", c.Name, err)
			log.Warn(what+" check failed", "check", c.Name, "err", err)
			continue
		}
		fmt.Fprintf(&b, "[+]%s ok\n", c.Name)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, verbose := r.URL.Query()["verbose"]
	if failed > 0 {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "%s%s check failed\n", b.String(), what)
		return
	}
	if verbose {
		fmt.Fprintf(w, "%s%s check passed\n", b.String(), what)
		return
	}
	fmt.Fprint(w, "ok")
}
