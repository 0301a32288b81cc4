package kvmagent

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func logLines(t *testing.T, s *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// Every line of a task, the handler's own (logged with the request's
// context) and the server's after it, carries taskuuid, path and the vm
// the handler named; a sync call's lines carry the path.
func TestTaskLogAttrs(t *testing.T) {
	var buf syncBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(LogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log := cfg.Logger
	_, url := newTestServer(t, cfg, func(s *Server) {
		s.RegisterAsyncURI("/t/start", func(ctx context.Context, req *Request) (any, error) {
			AddLogAttrs(ctx, "vm", "vm-1")
			log.InfoContext(ctx, "handler line")
			log.InfoContext(ctx, "names its own vm", "vm", "other") // kept, once
			rsp := NewAgentResponse()
			return &rsp, nil
		})
		s.RegisterSyncURI("/t/sync", func(ctx context.Context, req *Request) (any, error) {
			log.InfoContext(ctx, "sync line")
			return nil, nil
		})
	})
	cb := newCollector(t)
	post(t, url+"/t/start", asyncHdr("task-1", cb.URL), `{}`)
	cb.next(t)
	post(t, url+"/t/sync", nil, `{}`)

	want := map[string]map[string]string{
		"handler line":     {"taskuuid": "task-1", "path": "/t/start", "vm": "vm-1"},
		"names its own vm": {"taskuuid": "task-1", "path": "/t/start", "vm": "other"},
		"task done":        {"taskuuid": "task-1", "path": "/t/start", "vm": "vm-1"},
		"sync line":        {"path": "/t/sync"},
	}
	seen := map[string]bool{}
	for _, l := range logLines(t, &buf) {
		msg, _ := l["msg"].(string)
		w, ok := want[msg]
		if !ok {
			continue
		}
		seen[msg] = true
		for k, v := range w {
			if l[k] != v {
				t.Errorf("%q: %s = %v, want %q (line %v)", msg, k, l[k], v, l)
			}
		}
	}
	for msg := range want {
		if !seen[msg] {
			t.Errorf("no %q line", msg)
		}
	}
	raw := buf.String()
	if strings.Count(raw, `"vm":"other"`) != 1 || strings.Contains(raw, `"vm":"vm-1","vm"`) {
		t.Errorf("a line's own key is kept once:\n%s", raw)
	}
}

func TestAddLogAttrsOutsideRequest(t *testing.T) {
	ctx := context.Background()
	AddLogAttrs(ctx, "vm", "x") // no set: nothing to add to, no panic
	if got := LogAttrs(ctx); got != nil {
		t.Fatalf("LogAttrs outside a request = %v", got)
	}
	ctx = WithTaskLog(ctx, "path", "/p")
	AddLogAttrs(ctx, "vm", "a")
	AddLogAttrs(ctx, "vm", "b")
	got := LogAttrs(ctx)
	if len(got) != 2 || got[1].Value.String() != "b" {
		t.Fatalf("LogAttrs = %v, want path and vm=b", got)
	}
}
