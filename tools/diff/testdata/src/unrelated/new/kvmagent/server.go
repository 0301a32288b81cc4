package kvmagent

// Handler handles one request.
type Handler func(body []byte) (any, error)

// Server is the HTTP plumbing.
type Server struct{}

// RegisterSyncURI routes a sync path.
func (s *Server) RegisterSyncURI(path string, h Handler) {}

// RegisterAsyncURI routes an async path.
func (s *Server) RegisterAsyncURI(path string, h Handler) {}
