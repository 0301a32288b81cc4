// Package logattr ties a task's log lines together without editing the
// stock agent: a slog.Handler that adds the attributes a context carries
// (With) to every record logged with that context, and names the VM under
// one key, "vm", everywhere (the stock "successfully started vm" says
// uuid=).
//
// The overlay's handlers put the task's identity on their context once,
//
//	ctx = logattr.With(ctx, "taskuuid", req.TaskUUID, "path", req.Path, "vm", cmd.VMInstanceUUID)
//
// and log with the *Context methods (p.Log.InfoContext(ctx, ...)); every
// such line then carries taskuuid, path and vm. The stock server and
// vm_plugin log without a per-task context (their handlers get the
// server's context), so their lines keep only what they log themselves.
package logattr

import (
	"context"
	"log/slog"
	"time"
)

type key struct{}

// With returns ctx carrying args (slog's alternating key/value form, or
// slog.Attr values) for the Handler to add.
func With(ctx context.Context, args ...any) context.Context {
	prev, _ := ctx.Value(key{}).([]slog.Attr)
	r := slog.NewRecord(time.Time{}, 0, "", 0) // a scratch record parses args as slog does
	r.Add(args...)
	attrs := append([]slog.Attr{}, prev...)
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	return context.WithValue(ctx, key{}, attrs)
}

// Handler wraps h.
func Handler(h slog.Handler) slog.Handler { return &handler{next: h} }

type handler struct {
	next slog.Handler
	has  map[string]bool // keys already set by WithAttrs
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	present := map[string]bool{}
	var uuid string
	r.Attrs(func(a slog.Attr) bool {
		present[a.Key] = true
		if a.Key == "uuid" {
			uuid = a.Value.String()
		}
		return true
	})
	var add []slog.Attr
	if attrs, ok := ctx.Value(key{}).([]slog.Attr); ok {
		for _, a := range attrs {
			if !present[a.Key] && !h.has[a.Key] {
				add = append(add, a)
				present[a.Key] = true
			}
		}
	}
	if uuid != "" && !present["vm"] && !h.has["vm"] {
		add = append(add, slog.String("vm", uuid))
	}
	if len(add) > 0 {
		r = r.Clone()
		r.AddAttrs(add...)
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
