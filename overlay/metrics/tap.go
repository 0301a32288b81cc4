package metrics

import (
	"context"
	"log/slog"
	"strings"
)

// PortAttr is the log attribute naming a server's port (stock, ex); the
// agent gives each server a logger With(PortAttr, name), and the tap reads
// it to label that server's events.
const PortAttr = "port"

// Tap wraps h: every record still goes to h as before (at h's level), and
// the events the stock server and libvirt connection log are counted, at
// any configured level.
func (m *Metrics) Tap(h slog.Handler) slog.Handler { return &tap{m: m, next: h} }

type tap struct {
	m     *Metrics
	next  slog.Handler
	port  string
	path  string // from a WithAttrs (postCallback's logger)
	group bool   // a WithGroup: attributes below are not the server's
}

func (t *tap) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || t.next.Enabled(ctx, l)
}

func (t *tap) Handle(ctx context.Context, r slog.Record) error {
	if !t.group {
		t.count(r)
	}
	if !t.next.Enabled(ctx, r.Level) {
		return nil
	}
	return t.next.Handle(ctx, r)
}

func (t *tap) WithAttrs(as []slog.Attr) slog.Handler {
	c := *t
	c.next = t.next.WithAttrs(as)
	if !t.group {
		for _, a := range as {
			switch a.Key {
			case PortAttr:
				c.port = a.Value.String()
			case "path":
				c.path = a.Value.String()
			}
		}
	}
	return &c
}

func (t *tap) WithGroup(name string) slog.Handler {
	c := *t
	c.next = t.next.WithGroup(name)
	c.group = true
	return &c
}

func (t *tap) count(r slog.Record) {
	m := t.m
	switch {
	case r.Message == "libvirt connected":
		m.libvirtConnects.Inc()
		m.mu.Lock()
		again := m.connected
		m.connected = true
		m.mu.Unlock()
		if again {
			m.reconnects.Inc()
		}
		return
	case r.Message == "layers applied" || r.Message == "layer conflict":
	case t.port == "":
		return
	}
	switch msg := r.Message; {
	case msg == "callback delivered":
		m.callbacks.WithLabelValues(t.port, "delivered").Inc()
	case msg == "callback refused" || msg == "callback: the management node no longer knows this task":
		m.callbacks.WithLabelValues(t.port, "refused").Inc()
	case msg == "callback failed":
		m.callbacks.WithLabelValues(t.port, "retried").Inc()
	case strings.HasPrefix(msg, "callback given up"):
		m.callbacks.WithLabelValues(t.port, "given_up").Inc()
	case msg == "layers applied": // overlay's ex start, one line per start
		for _, l := range strings.Split(attr(r, "layers"), ",") {
			if l != "" {
				m.LayerApplied(l)
			}
		}
	case msg == "layer conflict": // layer chain, policy warn (a fail fails the start instead: LayerEvents)
		m.LayerConflict("warn")
	case msg == "request":
		if attr(r, "async") == "true" {
			m.tasksInFlight.WithLabelValues(t.port, m.lane(t.port, attr(r, "path"))).Inc()
		}
	case msg == "taskuuid reused for another request; refused", msg == "async request refused",
		msg == "ignored duplicated task", msg == "duplicated task already finished and its result already posted again; ignored",
		msg == "duplicated task already finished, posting its result again":
		// Logged "request" but admitted no new task.
		m.tasksInFlight.WithLabelValues(t.port, m.lane(t.port, attr(r, "path"))).Dec()
	case msg == "task done" || msg == "task failed" || strings.HasPrefix(msg, "task abandoned: kvmagent is stopping and the task never started"):
		lane := m.lane(t.port, attr(r, "path"))
		m.tasksInFlight.WithLabelValues(t.port, lane).Dec()
		if msg == "task done" {
			m.tasks.WithLabelValues(t.port, lane, "done").Inc()
		} else {
			m.tasks.WithLabelValues(t.port, lane, "failed").Inc()
		}
	}
}

func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}
