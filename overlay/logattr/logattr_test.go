package logattr

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/strataagent/strata/upstream/kvmagent"
)

// The agent's chain: the stock request attributes outside, this inside.
func TestHandler(t *testing.T) {
	var out bytes.Buffer
	text := slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	log := slog.New(kvmagent.LogHandler(Handler(text)))
	ctx := kvmagent.WithTaskLog(context.Background(), "taskuuid", "t1", "path", "/ex/vm/start")
	kvmagent.AddLogAttrs(ctx, "vm", "v1")
	tests := []struct {
		name string
		log  func()
		want string
	}{
		{"request attributes", func() { log.InfoContext(ctx, "layers applied", "layers", "machine") },
			`level=INFO msg="layers applied" layers=machine taskuuid=t1 path=/ex/vm/start vm=v1`},
		{"a record's own value wins", func() { log.InfoContext(ctx, "x", "vm", "v2") }, `level=INFO msg=x vm=v2 taskuuid=t1 path=/ex/vm/start`},
		{"uuid is also vm", func() { log.Info("successfully started vm", "uuid", "v3") }, `level=INFO msg="successfully started vm" uuid=v3 vm=v3`},
		{"uuid in a task: vm once", func() { log.InfoContext(ctx, "successfully started vm", "uuid", "v1") },
			`level=INFO msg="successfully started vm" uuid=v1 taskuuid=t1 path=/ex/vm/start vm=v1`},
		{"no duplicate of a With attribute", func() { log.With("taskuuid", "t9").InfoContext(ctx, "y") }, `level=INFO msg=y taskuuid=t9 path=/ex/vm/start vm=v1`},
		{"no context, nothing added", func() { log.Info("z") }, `level=INFO msg=z`},
	}
	for _, tc := range tests {
		out.Reset()
		tc.log()
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
