package kvmagent

// Handler handles one request.
type Handler func(body []byte) (any, error)

// RouteOption tunes an async route.
type RouteOption func()

// Server is the HTTP plumbing.
type Server struct{}

// RegisterSyncURI routes a sync path.
func (s *Server) RegisterSyncURI(path string, h Handler) {}

// RegisterAsyncURI routes an async path.
func (s *Server) RegisterAsyncURI(path string, h Handler, opts ...RouteOption) {}

// InLane puts an async route in a lane.
func InLane(name string) RouteOption { return func() {} }
