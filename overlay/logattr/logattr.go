// Package logattr names the VM under one key, "vm", on every line: the
// stock "successfully started vm" says uuid=, which a search for vm= misses.
// The task's own attributes (taskuuid, path, vm) come from the stock
// server's request context (kvmagent.WithTaskLog and LogHandler, since the
// port's 2.3.0-6), so this handler only adds vm where a line names a uuid
// and no vm.
package logattr

import (
	"context"
	"log/slog"
)

// Handler wraps h.
func Handler(h slog.Handler) slog.Handler { return &handler{next: h} }

type handler struct {
	next slog.Handler
	has  map[string]bool // keys already set by WithAttrs
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if h.has["vm"] {
		return h.next.Handle(ctx, r)
	}
	var uuid string
	hasVM := false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "uuid":
			uuid = a.Value.String()
		case "vm":
			hasVM = true
		}
		return true
	})
	if uuid != "" && !hasVM {
		r = r.Clone()
		r.AddAttrs(slog.String("vm", uuid))
	}
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	has := map[string]bool{}
	for k := range h.has {
		has[k] = true
	}
	for _, a := range as {
		has[a.Key] = true
	}
	return &handler{next: h.next.WithAttrs(as), has: has}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), has: h.has}
}
