package kvmagent

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// A task's log attributes live on its context, so every line logged for
// the task (by the server, a plugin or code below them) can carry the same
// taskuuid, path and vm without threading a logger through each call. The
// set is shared by the contexts derived from it: a handler that learns the
// VM (AddLogAttrs) names it on the server's own lines after it returns.
type taskLog struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

type taskLogKey struct{}

// WithTaskLog returns ctx carrying a new attribute set seeded with args
// (slog's alternating key/value form). The server calls it once per request.
func WithTaskLog(ctx context.Context, args ...any) context.Context {
	tl := &taskLog{}
	tl.add(args)
	return context.WithValue(ctx, taskLogKey{}, tl)
}

// AddLogAttrs adds args to the set ctx carries, replacing a key already
// there; without a set (outside a request) it does nothing.
func AddLogAttrs(ctx context.Context, args ...any) {
	if tl, ok := ctx.Value(taskLogKey{}).(*taskLog); ok {
		tl.add(args)
	}
}

// LogAttrs returns a copy of the set ctx carries.
func LogAttrs(ctx context.Context) []slog.Attr {
	tl, ok := ctx.Value(taskLogKey{}).(*taskLog)
	if !ok {
		return nil
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]slog.Attr(nil), tl.attrs...)
}

func (tl *taskLog) add(args []any) {
	r := slog.NewRecord(time.Time{}, 0, "", 0) // parses args as slog does
	r.Add(args...)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		for i := range tl.attrs {
			if tl.attrs[i].Key == a.Key {
				tl.attrs[i] = a
				return true
			}
		}
		tl.attrs = append(tl.attrs, a)
		return true
	})
}

// LogHandler wraps h so a record logged with a request's context gets the
// request's attributes it does not already carry (a line that names its
// own taskuuid keeps it, once).
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(*logHandler); ok {
		return h
	}
	return &logHandler{next: h}
}

type logHandler struct {
	next slog.Handler
	has  map[string]bool // keys set by WithAttrs
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs := LogAttrs(ctx)
	if len(attrs) == 0 {
		return h.next.Handle(ctx, r)
	}
	present := map[string]bool{}
	r.Attrs(func(a slog.Attr) bool { present[a.Key] = true; return true })
	var add []slog.Attr
	for _, a := range attrs {
		if !present[a.Key] && !h.has[a.Key] {
			add = append(add, a)
		}
	}
	if len(add) > 0 {
		r = r.Clone()
		r.AddAttrs(add...)
	}
	return h.next.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	has := make(map[string]bool, len(h.has)+len(as))
	for k := range h.has {
		has[k] = true
	}
	for _, a := range as {
		has[a.Key] = true
	}
	return &logHandler{next: h.next.WithAttrs(as), has: has}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	// Inside a group the request's keys would be nested; keep them off.
	return h.next.WithGroup(name)
}
