package overlay

import (
	"context"
	"log/slog"
	"testing"

	"github.com/strataagent/strata/upstream/kvmagent"
)

func newMirrorServer() *kvmagent.Server {
	return kvmagent.NewServer(kvmagent.ServerConfig{Logger: slog.New(slog.DiscardHandler)})
}

// Every stock route is served under /ex/ with its mode and lane, a route a
// release adds included; the overlay's own registration wins.
func TestMirrorEx(t *testing.T) {
	called := map[string]string{}
	handler := func(name string) kvmagent.Handler {
		return func(context.Context, *kvmagent.Request) (any, error) { called[name] = name; return nil, nil }
	}
	stock, ex := newMirrorServer(), newMirrorServer()
	stock.RegisterAsyncURI("/vm/start", handler("stock start"))
	stock.RegisterAsyncURI("/vm/vmsync", handler("stock vmsync"), kvmagent.InLane(kvmagent.LaneQuery))
	stock.RegisterSyncURI("/host/echo", handler("stock echo"))
	stock.RegisterAsyncURI("/volume/resize", handler("a route the release added"))
	ex.RegisterAsyncURI("/ex/vm/start", handler("overlay start"))

	got, err := MirrorEx(ex, stock)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/ex/host/echo", "/ex/vm/vmsync", "/ex/volume/resize"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("mirrored %v, want %v", got, want)
	}
	lanes := map[string]kvmagent.Route{}
	for _, r := range ex.Routes() {
		lanes[r.Path] = r
	}
	for _, r := range stock.Routes() {
		m, ok := lanes[ExPrefix+r.Path]
		if !ok || m.Async != r.Async || m.Lane != r.Lane {
			t.Errorf("%s: ex has %+v (present %v), stock %+v", r.Path, m, ok, r)
		}
	}
	for path, want := range map[string]string{"/ex/vm/start": "overlay start", "/ex/volume/resize": "a route the release added"} {
		h, _ := ex.Handler(path)
		if _, _ = h(context.Background(), &kvmagent.Request{}); called[want] == "" {
			t.Errorf("%s does not reach %q", path, want)
		}
	}
}

// A stock route in a lane the ex server does not configure is a start-up
// error, not a panic.
func TestMirrorExUnknownLane(t *testing.T) {
	lanes := map[string]kvmagent.LaneConfig{"storage": {}}
	stock := kvmagent.NewServer(kvmagent.ServerConfig{Logger: slog.New(slog.DiscardHandler), Lanes: lanes})
	stock.RegisterAsyncURI("/storage/x", func(context.Context, *kvmagent.Request) (any, error) { return nil, nil }, kvmagent.InLane("storage"))
	if _, err := MirrorEx(newMirrorServer(), stock); err == nil {
		t.Fatal("no error for a lane the ex server lacks")
	}
}
