package overlay

import (
	"fmt"

	"github.com/strataagent/strata/upstream/kvmagent"
)

// MirrorEx serves every route of stock again on ex under ExPrefix, with the
// stock handler, sync/async choice and lane, so a URI a new release adds is
// served on :7071 with no edit here. A path the overlay registered on ex
// before (its override: /ex/vm/start, /ex/host/fact, ...) keeps the
// overlay's handler. It returns the mirrored paths, in order.
func MirrorEx(ex, stock *kvmagent.Server) ([]string, error) {
	var mirrored []string
	for _, rt := range stock.Routes() {
		path := ExPrefix + rt.Path
		if _, overridden := ex.Handler(path); overridden {
			continue
		}
		h, ok := stock.Handler(rt.Path)
		if !ok {
			return mirrored, fmt.Errorf("mirror %s: listed by the stock server without a handler", rt.Path)
		}
		if err := register(ex, path, rt, h); err != nil {
			return mirrored, err
		}
		mirrored = append(mirrored, path)
	}
	return mirrored, nil
}

// register turns the server's panics (a lane ex does not configure) into
// an error for start-up to report.
func register(s *kvmagent.Server, path string, rt kvmagent.Route, h kvmagent.Handler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("mirror %s: %v", rt.Path, v)
		}
	}()
	if rt.Async {
		s.RegisterAsyncURI(path, h, kvmagent.InLane(rt.Lane))
	} else {
		s.RegisterSyncURI(path, h)
	}
	return nil
}
