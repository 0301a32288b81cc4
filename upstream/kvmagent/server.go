package kvmagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Defaults of ServerConfig, as http.py and kvmagent.py use them.
const (
	DefaultAddr            = "0.0.0.0:7070"
	DefaultCallbackTimeout = 120 * time.Second
	DefaultCallbackRetries = 15
	DefaultCallbackBackoff = time.Second
	DefaultBodyLimit       = 16 << 20
	DefaultTaskRetention   = 10 * time.Minute
	DefaultWorkers         = 10
)

// Texts the management node (and people reading its logs) see.
const (
	msgTaskUUIDMissing = "taskUuid missing in request header"
	msgStopping        = "kvmagent is stopping"
)

// Header names of the async protocol. Go canonicalises them on the wire
// ("Taskuuid"); HTTP header names are case-insensitive, so the MN does not care.
const (
	HeaderTaskUUID    = "taskuuid"
	HeaderCallbackURL = "callbackurl"
	HeaderError       = "error"
)

// ServerConfig configures a Server; zero fields take the defaults above.
type ServerConfig struct {
	Addr            string        // default "0.0.0.0:7070"
	CallbackTimeout time.Duration // per callback POST try, default 120s
	CallbackRetries int           // tries of a callback POST, default 15
	CallbackBackoff time.Duration // first retry delay, default 1s; doubles, capped at 8x
	BodyLimit       int64         // request body limit, default 16 MiB
	TaskRetention   time.Duration // how long a finished task's result is kept for duplicate suppression, default 10m
	Workers         int           // max concurrent async handlers (POOLSIZE), default 10; more requests wait
	Logger          *slog.Logger  // default slog.Default()
}

func (c *ServerConfig) setDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = DefaultCallbackTimeout
	}
	if c.CallbackRetries <= 0 {
		c.CallbackRetries = DefaultCallbackRetries
	}
	if c.CallbackBackoff <= 0 {
		c.CallbackBackoff = DefaultCallbackBackoff
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.TaskRetention <= 0 {
		c.TaskRetention = DefaultTaskRetention
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Route is one registered URI (without its trailing-slash twin).
type Route struct {
	Path  string
	Async bool
}

// Server is http.py's HttpServer: sync and async URIs, callbacks, and the
// task table that turns a task uuid into an idempotency key.
//
// Where it differs from the seed's http.py, on purpose:
//   - the callback body is always a JSON object ({"success":false,"error":...}
//     when a handler failed or panicked), never a traceback: the MN cannot
//     parse anything else (mn-contract.md §6);
//   - callback JSON is ASCII-only (\uXXXX), as json.dumps writes it;
//   - a callback is retried on connection errors and 5xx, not on 4xx (the MN's
//     404 means it stopped waiting), with a growing delay;
//   - a resent task uuid never runs twice: ignored while running, answered
//     with the stored result for TaskRetention after it finished;
//   - async handlers run on a bounded pool (POOLSIZE) and Shutdown refuses
//     new ones ("kvmagent is stopping"), as newer http.py does.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	engine *gin.Engine
	http   *http.Server
	client *http.Client // callbacks
	now    func() time.Time

	// hardCtx is cancelled when Shutdown's deadline passes: handlers see it
	// as their context and callback retries stop on it.
	hardCtx    context.Context
	hardCancel context.CancelFunc

	sem chan struct{} // the worker pool

	routesMu sync.Mutex
	routes   map[string]bool // path → async

	mu         sync.Mutex
	stopping   bool
	stoppingCh chan struct{} // closed when Shutdown begins
	tasks      map[string]*task
	finished   []*task // finished tasks in finishing order, for expiry
	active     int     // async tasks and re-posted callbacks in flight
	idle       chan struct{}
}

// NewServer builds a server; register URIs before serving.
func NewServer(cfg ServerConfig) *Server {
	cfg.setDefaults()
	// Release mode keeps gin from printing its debug banner and route table.
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// Both forms of each path are registered explicitly; a redirect would
	// turn the MN's POST into a failed call.
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true

	hardCtx, hardCancel := context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		engine:     e,
		now:        time.Now,
		hardCtx:    hardCtx,
		hardCancel: hardCancel,
		sem:        make(chan struct{}, cfg.Workers),
		routes:     map[string]bool{},
		stoppingCh: make(chan struct{}),
		tasks:      map[string]*task{},
		idle:       idle,
		client: &http.Client{
			Timeout: cfg.CallbackTimeout,
			// http.py closes the connection after each callback; no proxy from
			// the environment: the MN is reached directly, as urllib3 does.
			Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		},
	}
	e.Use(s.recoverPlumbing)
	s.http = &http.Server{
		Addr:              cfg.Addr,
		Handler:           e,
		ReadHeaderTimeout: 60 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Engine returns the gin engine, to mount elsewhere or to serve with httptest.
func (s *Server) Engine() *gin.Engine { return s.engine }

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() ServerConfig { return s.cfg }

// RegisterSyncURI routes path (and path + "/") to a handler whose reply is the HTTP body.
// Register before serving: gin's router is not safe to change while it serves.
func (s *Server) RegisterSyncURI(path string, h Handler) { s.register(path, false, h) }

// RegisterAsyncURI routes path (and path + "/") to a handler that runs in the
// background and whose reply goes to the request's callback URL.
func (s *Server) RegisterAsyncURI(path string, h Handler) { s.register(path, true, h) }

func (s *Server) register(path string, async bool, h Handler) {
	if h == nil {
		panic(fmt.Sprintf("kvmagent: nil handler for %s", path))
	}
	p := "/" + strings.Trim(path, "/")
	s.routesMu.Lock()
	defer s.routesMu.Unlock()
	if _, dup := s.routes[p]; dup {
		panic(fmt.Sprintf("kvmagent: URI %s registered twice", p))
	}
	s.routes[p] = async
	var gh gin.HandlerFunc
	if async {
		gh = func(c *gin.Context) { s.serveAsync(c, p, h) }
	} else {
		gh = func(c *gin.Context) { s.serveSync(c, p, h) }
	}
	s.engine.POST(p, gh)
	if p != "/" {
		s.engine.POST(p+"/", gh)
	}
}

// Routes lists the registered URIs sorted by path.
func (s *Server) Routes() []Route {
	s.routesMu.Lock()
	defer s.routesMu.Unlock()
	out := make([]Route, 0, len(s.routes))
	for p, a := range s.routes {
		out = append(out, Route{Path: p, Async: a})
	}
	slices.SortFunc(out, func(a, b Route) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// ListenAndServe listens on cfg.Addr and serves until Shutdown.
func (s *Server) ListenAndServe() error {
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("kvmagent: listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(l)
}

// Serve serves on l until Shutdown; it then returns http.ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	s.log.Info("kvmagent listening", "addr", l.Addr().String())
	return s.http.Serve(l)
}

// Shutdown refuses new async calls ("kvmagent is stopping"), waits for the
// running tasks and their callbacks, then closes the listeners and waits for
// open requests. Sync calls are served until the listeners close. When ctx
// ends first, handlers' contexts are cancelled, callback retries stop, the
// connections are closed and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.stopping {
		s.stopping = true
		close(s.stoppingCh)
	}
	s.mu.Unlock()
	s.log.Info("kvmagent stopping: waiting for running tasks")

	if err := s.waitIdle(ctx); err != nil {
		s.hardCancel()
		_ = s.http.Close()
		s.client.CloseIdleConnections()
		return fmt.Errorf("kvmagent: shutdown with tasks still running: %w", err)
	}
	err := s.http.Shutdown(ctx)
	s.hardCancel()
	s.client.CloseIdleConnections()
	if err != nil {
		_ = s.http.Close()
		return fmt.Errorf("kvmagent: shutdown: %w", err)
	}
	s.log.Info("kvmagent stopped")
	return nil
}

// Wait blocks until no async task or callback is in flight.
func (s *Server) Wait() { _ = s.waitIdle(context.Background()) }

func (s *Server) waitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		n, ch := s.active, s.idle
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// beginLocked counts one more background job; s.mu is held.
func (s *Server) beginLocked() {
	if s.active == 0 {
		s.idle = make(chan struct{})
	}
	s.active++
}

func (s *Server) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 {
		close(s.idle)
	}
}

func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// readBody reads the request body within the limit, answering 413 itself.
func (s *Server) readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.Body == nil {
		return nil, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.BodyLimit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.log.Warn("request body too large", "path", c.Request.URL.Path, "limit", s.cfg.BodyLimit)
			c.Data(http.StatusRequestEntityTooLarge, "application/json",
				failureBody(fmt.Sprintf("request body exceeds the limit of %d bytes", s.cfg.BodyLimit)))
			return nil, false
		}
		s.log.Warn("cannot read request body", "path", c.Request.URL.Path, "err", err)
		c.Data(http.StatusBadRequest, "application/json", failureBody("cannot read request body: "+err.Error()))
		return nil, false
	}
	return body, true
}

func (s *Server) logRequest(c *gin.Context, path, taskUUID string, async bool, body []byte) {
	s.log.Info("request", "path", path, "taskuuid", taskUUID, "async", async, "remote", c.Request.RemoteAddr)
	if s.log.Enabled(c.Request.Context(), slog.LevelDebug) {
		s.log.Debug("request body", "path", path, "taskuuid", taskUUID, "body", string(MaskSensitive(body)))
	}
}

func (s *Server) serveSync(c *gin.Context, path string, h Handler) {
	if tu := c.GetHeader(HeaderTaskUUID); tu != "" {
		// http.py refuses this too: the caller believes the URI is async and
		// would wait for a callback that never comes.
		msg := fmt.Sprintf("URI %s is synchronous but the request carries a taskuuid header [%s]; it was sent as an async call", path, tu)
		s.log.Error("sync URI called with a taskuuid", "path", path, "taskuuid", tu)
		c.Data(http.StatusInternalServerError, "application/json", failureBody(msg))
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	s.logRequest(c, path, "", false, body)
	req := &Request{Path: path, Header: c.Request.Header.Clone(), Body: body}
	out, errText := s.invoke(c.Request.Context(), h, req, true)
	if errText != "" {
		s.log.Warn("sync handler failed", "path", path, "error", errText)
	}
	// out is nil only for a nil reply: /host/echo answers an empty body.
	c.Data(http.StatusOK, "application/json", out)
}

func (s *Server) serveAsync(c *gin.Context, path string, h Handler) {
	if s.isStopping() {
		c.String(http.StatusBadRequest, msgStopping)
		return
	}
	taskUUID := c.GetHeader(HeaderTaskUUID)
	if taskUUID == "" {
		s.log.Warn("async request without taskuuid", "path", path)
		c.String(http.StatusBadRequest, msgTaskUUIDMissing)
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	s.logRequest(c, path, taskUUID, true, body)
	callbackURL := c.GetHeader(HeaderCallbackURL)
	req := &Request{Path: path, TaskUUID: taskUUID, Header: c.Request.Header.Clone(), Body: body}

	switch t, outcome := s.admit(path, taskUUID); outcome {
	case admitStopping:
		c.String(http.StatusBadRequest, msgStopping)
		return
	case admitRunning:
		s.logDuplicate(t, path, "ignored duplicated task")
	case admitFinished:
		s.logDuplicate(t, path, "duplicated task already finished, posting its result again")
		go func() {
			defer s.end()
			s.postCallback(callbackURL, t.uuid, t.result, t.errText)
		}()
	case admitNew:
		go s.runTask(t, h, req, callbackURL)
	}
	c.Status(http.StatusOK)
}

func (s *Server) logDuplicate(t *task, path, msg string) {
	if t.path != path {
		s.log.Warn(msg+" (same taskuuid, different path)", "taskuuid", t.uuid, "path", path, "firstPath", t.path)
		return
	}
	s.log.Info(msg, "taskuuid", t.uuid, "path", path)
}

// recoverPlumbing keeps a bug in the plumbing itself from answering with a
// stack trace; handlers' own panics are recovered closer, in invoke.
func (s *Server) recoverPlumbing(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in kvmagent HTTP plumbing", "path", c.Request.URL.Path, "panic", fmt.Sprint(v), "stack", stack())
			if !c.Writer.Written() {
				c.Data(http.StatusInternalServerError, "application/json", failureBody(fmt.Sprintf("internal error: %v", v)))
			}
			c.Abort()
		}
	}()
	c.Next()
}
