// Package kvmagent is the agent's core: the HTTP server of zstacklib's
// http.py (sync and async URIs, callbacks, task de-duplication) and the
// plugin plumbing of kvmagent.py (replyerror, KvmError, AgentResponse).
package kvmagent

import (
	"context"
	"fmt"
	"net/http"
)

// AgentResponse is the envelope every reply carries. Both fields are always
// written, as kvmagent's jsonobject.dumps writes them.
type AgentResponse struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
}

// NewAgentResponse returns a successful envelope.
func NewAgentResponse() AgentResponse { return AgentResponse{Success: true} }

// Fail marks the envelope failed with err's text.
func (r *AgentResponse) Fail(err error) {
	r.Success = false
	r.Error = err.Error()
}

// Envelope lets the server read and set the envelope of any response type
// that embeds AgentResponse.
type Envelope interface{ envelope() *AgentResponse }

func (r *AgentResponse) envelope() *AgentResponse { return r }

// KvmError is kvmagent.KvmError: an expected failure whose text is the error
// the management node sees.
type KvmError struct{ Msg string }

func (e *KvmError) Error() string { return e.Msg }

// Errorf builds a KvmError.
func Errorf(format string, args ...any) error { return &KvmError{Msg: fmt.Sprintf(format, args...)} }

// Request is one call as a handler sees it.
type Request struct {
	Path     string
	TaskUUID string // empty for sync URIs
	Header   http.Header
	Body     []byte
}

// Handler serves one URI. The returned value is marshalled as the reply;
// a returned error (or a panic) becomes {"success":false,"error":...}, the
// way @replyerror does it.
type Handler func(ctx context.Context, req *Request) (any, error)

// Plugin is a kvmagent plugin: Start registers its URIs, Stop releases what it holds.
type Plugin interface {
	Start(s *Server) error
	Stop() error
}
