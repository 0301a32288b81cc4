package kvmagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
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

// Defaults of the bounds http.py does not have (see the Server doc comment).
const (
	// DefaultHostWorkers is the host lane's pool: ping, fact and capacity
	// never wait behind VM work.
	DefaultHostWorkers = 4
	// DefaultQueueLimit bounds, per lane, the tasks admitted but waiting for a worker.
	DefaultQueueLimit = 256
	// DefaultQueueBytes bounds, per lane, the request bodies those waiting tasks hold.
	DefaultQueueBytes = 64 << 20
	// DefaultMaxTaskUUIDLen bounds the taskuuid header (the MN sends 32 hex digits).
	DefaultMaxTaskUUIDLen = 128
	// DefaultTaskLimit bounds the task table: queued, running and finished
	// tasks kept for duplicate suppression.
	DefaultTaskLimit = 4096
	// DefaultMaxRedeliveries bounds how often a finished task's result is
	// posted again for resent requests.
	DefaultMaxRedeliveries = 3
	// DefaultCallbackDeadline bounds one task's whole callback delivery:
	// waiting for a slot, every try and every backoff.
	DefaultCallbackDeadline = 10 * time.Minute
	// DefaultCallbackConcurrency bounds the callback POSTs in flight; more wait.
	DefaultCallbackConcurrency = 32
	// DefaultReadHeaderTimeout bounds reading a request's headers.
	DefaultReadHeaderTimeout = 60 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds a request from its headers to the end of
	// the answer, for async URIs and errors, which answer at once.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultSyncWriteTimeout replaces WriteTimeout for sync URIs, whose
	// handler runs before the answer: the MN reads for 300 s (/host/connect).
	DefaultSyncWriteTimeout = 330 * time.Second
	// DefaultIdleTimeout closes keep-alive connections idle that long.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultHeaderLimit bounds the request headers' size.
	DefaultHeaderLimit = 64 << 10
)

// Worker lanes. Each lane has its own bounded pool and queue.
const (
	// LaneVM is the default lane: every async URI registered without InLane.
	LaneVM = "vm"
	// LaneHost is for the host calls the MN uses to decide whether a host is alive.
	LaneHost = "host"
	// LaneQuery is for the read-only VM queries (vmsync, checkstate): the MN
	// polls them while starts and stops may hang on storage.
	LaneQuery = "query"
)

// DefaultQueryWorkers is the query lane's pool.
const DefaultQueryWorkers = 4

// Texts the management node (and people reading its logs) see.
const (
	msgTaskUUIDMissing = "taskUuid missing in request header"
	msgCallbackMissing = "callbackurl missing in request header: an async call's reply is posted to it, so without it the reply would go nowhere"
	msgStopping        = "kvmagent is stopping"
	msgNeverStarted    = "kvmagent is stopping; the task was never started"
)

// Header names of the async protocol. Go canonicalises them on the wire
// ("Taskuuid"); HTTP header names are case-insensitive, so the MN does not care.
const (
	HeaderTaskUUID    = "taskuuid"
	HeaderCallbackURL = "callbackurl"
	HeaderError       = "error"
)

// LaneConfig bounds one worker lane; zero fields take the defaults.
type LaneConfig struct {
	Workers    int   // concurrent handlers; default Workers for LaneVM, DefaultHostWorkers for LaneHost
	QueueLimit int   // tasks admitted but waiting for a worker; default ServerConfig.QueueLimit
	QueueBytes int64 // request bodies of the waiting tasks; default ServerConfig.QueueBytes
}

// ServerConfig configures a Server; zero fields take the defaults above.
type ServerConfig struct {
	Addr            string        // default "0.0.0.0:7070"
	CallbackTimeout time.Duration // per callback POST try, default 120s
	CallbackRetries int           // tries of a callback POST, default 15
	CallbackBackoff time.Duration // first retry delay, default 1s; doubles, capped at 8x
	BodyLimit       int64         // request body limit, default 16 MiB
	TaskRetention   time.Duration // how long a finished task's result is kept for duplicate suppression, default 10m
	Workers         int           // max concurrent handlers of LaneVM (POOLSIZE), default 10; more requests wait
	Logger          *slog.Logger  // default slog.Default()

	QueueLimit          int                   // per lane: tasks waiting for a worker, default 256; beyond: 503
	QueueBytes          int64                 // per lane: bodies of the waiting tasks, default 64 MiB; beyond: 503
	Lanes               map[string]LaneConfig // per-lane overrides; LaneVM, LaneHost and LaneQuery always exist
	MaxTaskUUIDLen      int                   // longest taskuuid accepted, default 128 bytes; longer: 400
	TaskLimit           int                   // task table size (queued, running, retained), default 4096; full: 503
	MaxRedeliveries     int                   // re-posts of a finished task's result, default 3; more are ignored
	CallbackDeadline    time.Duration         // one task's whole callback delivery, default 10m
	CallbackConcurrency int                   // callback POSTs in flight, default 32; more wait (within the deadline)
	ReadHeaderTimeout   time.Duration         // default 60s
	ReadTimeout         time.Duration         // whole request, body included, default 60s
	WriteTimeout        time.Duration         // async answers and errors, default 30s
	SyncWriteTimeout    time.Duration         // sync URIs: handler plus answer, default 330s
	IdleTimeout         time.Duration         // idle keep-alive connections, default 60s
	HeaderLimit         int                   // request header bytes, default 64 KiB

	// Tasks is the task table; servers given the same one share the
	// duplicate-task rules (one run per taskuuid across them). nil: a table
	// of the server's own.
	Tasks *TaskTable
}

// TaskTable holds the async tasks by taskuuid: queued, running and finished
// ones kept for duplicate suppression. Servers that share one (two ports of
// one agent over the same VMs) also share its lock.
type TaskTable struct {
	mu       sync.Mutex
	tasks    map[string]*task
	finished []*task // finished tasks in finishing order, for expiry
}

// NewTaskTable returns an empty table to pass as ServerConfig.Tasks.
func NewTaskTable() *TaskTable { return &TaskTable{tasks: map[string]*task{}} }

func (c *ServerConfig) setDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	setDefault(&c.CallbackTimeout, DefaultCallbackTimeout)
	setDefault(&c.CallbackRetries, DefaultCallbackRetries)
	setDefault(&c.CallbackBackoff, DefaultCallbackBackoff)
	setDefault(&c.BodyLimit, DefaultBodyLimit)
	setDefault(&c.TaskRetention, DefaultTaskRetention)
	setDefault(&c.Workers, DefaultWorkers)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	setDefault(&c.QueueLimit, DefaultQueueLimit)
	setDefault(&c.QueueBytes, DefaultQueueBytes)
	setDefault(&c.MaxTaskUUIDLen, DefaultMaxTaskUUIDLen)
	setDefault(&c.TaskLimit, DefaultTaskLimit)
	setDefault(&c.MaxRedeliveries, DefaultMaxRedeliveries)
	setDefault(&c.CallbackDeadline, DefaultCallbackDeadline)
	setDefault(&c.CallbackConcurrency, DefaultCallbackConcurrency)
	setDefault(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&c.ReadTimeout, DefaultReadTimeout)
	setDefault(&c.WriteTimeout, DefaultWriteTimeout)
	setDefault(&c.SyncWriteTimeout, DefaultSyncWriteTimeout)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.HeaderLimit, DefaultHeaderLimit)

	// A copy: the caller's map is not changed.
	lanes := make(map[string]LaneConfig, len(c.Lanes)+2)
	for name, lc := range c.Lanes {
		lanes[name] = lc
	}
	for _, name := range []string{LaneVM, LaneHost, LaneQuery} {
		if _, ok := lanes[name]; !ok {
			lanes[name] = LaneConfig{}
		}
	}
	for name, lc := range lanes {
		switch name {
		case LaneVM:
			setDefault(&lc.Workers, c.Workers)
		case LaneHost:
			setDefault(&lc.Workers, DefaultHostWorkers)
		case LaneQuery:
			setDefault(&lc.Workers, DefaultQueryWorkers)
		default:
			setDefault(&lc.Workers, DefaultWorkers)
		}
		setDefault(&lc.QueueLimit, c.QueueLimit)
		setDefault(&lc.QueueBytes, c.QueueBytes)
		lanes[name] = lc
	}
	c.Lanes = lanes
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// lane is one bounded worker pool with its bounded queue.
type lane struct {
	name    string
	cfg     LaneConfig
	workers chan struct{}
	// Under Server.mu: the tasks admitted but waiting for a worker.
	waiting      int
	waitingBytes int64
}

// RouteOption changes how an async URI is served.
type RouteOption func(*routeOptions)

type routeOptions struct{ lane string }

// InLane runs the URI's handlers in the named lane's pool instead of
// LaneVM's. The lane must be LaneVM, LaneHost or a key of ServerConfig.Lanes.
func InLane(name string) RouteOption { return func(o *routeOptions) { o.lane = name } }

// Route is one registered URI (without its trailing-slash twin).
type Route struct {
	Path  string
	Async bool
	Lane  string // the worker lane of an async URI; "" for a sync one
}

type route struct {
	async   bool
	lane    *lane
	handler Handler
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
//     with the stored result for TaskRetention after it finished, at most
//     MaxRedeliveries times; a task uuid reused with another path or body is
//     refused (400), since the MN resends only byte-identical requests and
//     answering with the first task's result would hide the second command;
//     servers that share a TaskTable (ServerConfig.Tasks) apply this across
//     all of them;
//   - an async call without a callbackurl header is refused (400) with the
//     reason: the MN always sends one, and its reply would go nowhere;
//   - async handlers run on bounded pools (POOLSIZE), one per lane: host calls
//     (LaneHost) never wait behind VM work (LaneVM); a lane's queue of tasks
//     waiting for a worker is bounded in count and body bytes, and a full
//     queue or task table is refused with 503 and a JSON failure (the MN
//     retries); task uuids are bounded in length (400);
//   - every connection is bounded in time (read, write, idle) and headers in
//     size; sync URIs get a longer write deadline, since their handler runs
//     before the answer;
//   - one task's callback delivery is bounded in total time, and callback
//     POSTs in flight are capped (more wait for a slot within that time);
//   - Shutdown refuses new async calls ("kvmagent is stopping"), as newer
//     http.py does; it lets running tasks finish, answers queued ones with a
//     failure callback without running them, stops callback retries after
//     the try in flight, and logs every task it abandons by taskuuid and path.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	engine *gin.Engine
	http   *http.Server
	client *http.Client // callbacks
	now    func() time.Time

	// hardCtx is cancelled when Shutdown's deadline passes: handlers see it
	// as their context and callback tries stop on it.
	hardCtx    context.Context
	hardCancel context.CancelFunc

	lanes  map[string]*lane
	cbSlot chan struct{} // callback POSTs in flight

	routesMu sync.Mutex
	routes   map[string]route

	// mu is the task table's lock (shared with the servers that share the
	// table); it also guards the fields below and the lanes' queues.
	mu         *sync.Mutex
	table      *TaskTable
	stopping   bool
	stoppingCh chan struct{} // closed when Shutdown begins
	active     int           // async tasks and callback deliveries in flight
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

	if cfg.Tasks == nil {
		cfg.Tasks = NewTaskTable()
	}
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
		lanes:      map[string]*lane{},
		cbSlot:     make(chan struct{}, cfg.CallbackConcurrency),
		routes:     map[string]route{},
		stoppingCh: make(chan struct{}),
		mu:         &cfg.Tasks.mu,
		table:      cfg.Tasks,
		idle:       idle,
		client: &http.Client{
			Timeout: cfg.CallbackTimeout,
			// http.py closes the connection after each callback; no proxy from
			// the environment: the MN is reached directly, as urllib3 does.
			Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		},
	}
	for name, lc := range cfg.Lanes {
		s.lanes[name] = &lane{name: name, cfg: lc, workers: make(chan struct{}, lc.Workers)}
	}
	e.Use(s.recoverPlumbing)
	// Failures are JSON objects everywhere, unknown paths and methods included.
	e.NoRoute(func(c *gin.Context) {
		c.Data(http.StatusNotFound, "application/json", failureBody("no URI "+c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		c.Data(http.StatusMethodNotAllowed, "application/json",
			failureBody(fmt.Sprintf("method %s not allowed on %s; use POST", c.Request.Method, c.Request.URL.Path)))
	})
	s.http = &http.Server{
		Addr:              cfg.Addr,
		Handler:           e,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.HeaderLimit,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Engine returns the gin engine, to mount elsewhere or to serve with httptest.
// Connection timeouts apply only when the Server serves (Serve, ListenAndServe).
func (s *Server) Engine() *gin.Engine { return s.engine }

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() ServerConfig { return s.cfg }

// RegisterSyncURI routes path (and path + "/") to a handler whose reply is the HTTP body.
// Register before serving: gin's router is not safe to change while it serves.
func (s *Server) RegisterSyncURI(path string, h Handler) { s.register(path, false, h, nil) }

// RegisterAsyncURI routes path (and path + "/") to a handler that runs in the
// background and whose reply goes to the request's callback URL. It runs in
// LaneVM's pool unless an InLane option names another lane.
func (s *Server) RegisterAsyncURI(path string, h Handler, opts ...RouteOption) {
	s.register(path, true, h, opts)
}

func (s *Server) register(path string, async bool, h Handler, opts []RouteOption) {
	if h == nil {
		panic(fmt.Sprintf("kvmagent: nil handler for %s", path))
	}
	o := routeOptions{lane: LaneVM}
	for _, opt := range opts {
		opt(&o)
	}
	p := "/" + strings.Trim(path, "/")
	r := route{async: async, handler: h}
	if async {
		l, ok := s.lanes[o.lane]
		if !ok {
			panic(fmt.Sprintf("kvmagent: URI %s registered in lane %q, which is not configured (lanes: %s)",
				p, o.lane, strings.Join(slices.Sorted(maps.Keys(s.lanes)), ", ")))
		}
		r.lane = l
	}
	s.routesMu.Lock()
	defer s.routesMu.Unlock()
	if _, dup := s.routes[p]; dup {
		panic(fmt.Sprintf("kvmagent: URI %s registered twice", p))
	}
	s.routes[p] = r
	var gh gin.HandlerFunc
	if async {
		gh = func(c *gin.Context) { s.serveAsync(c, p, r.lane, h) }
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
	for p, r := range s.routes {
		rt := Route{Path: p, Async: r.async}
		if r.lane != nil {
			rt.Lane = r.lane.name
		}
		out = append(out, rt)
	}
	slices.SortFunc(out, func(a, b Route) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Handler returns the handler registered at path (as Routes spells it), so
// a server embedding this one can serve the same URIs elsewhere with the
// same handler, sync/async choice and lane.
func (s *Server) Handler(path string) (Handler, bool) {
	s.routesMu.Lock()
	defer s.routesMu.Unlock()
	r, ok := s.routes["/"+strings.Trim(path, "/")]
	return r.handler, ok
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

// Shutdown refuses new async calls ("kvmagent is stopping"), answers queued
// tasks with a failure callback without running them, stops callback retries
// after the try in flight, waits for the running tasks and their callbacks,
// then closes the listeners and waits for open requests. Sync calls are
// served until the listeners close. When ctx ends first, handlers' contexts
// are cancelled, callbacks stop, every task still in flight is logged as
// abandoned, the connections are closed and ctx's error is returned.
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
		s.logAbandoned()
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

// logAbandoned logs, at the hard stop, every task whose handler or callback
// is still in flight: the process may exit before they log anything.
func (s *Server) logAbandoned() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.table.tasks {
		if t.srv != s {
			continue // the other server's task: it logs its own
		}
		switch {
		case !t.done:
			s.log.Error("task abandoned: still running at the shutdown deadline; no callback will be sent",
				"taskuuid", t.uuid, "path", t.path)
		case t.delivering > 0:
			s.log.Error("task abandoned: callback still being delivered at the shutdown deadline",
				"taskuuid", t.uuid, "path", t.path)
		default:
			continue
		}
		t.abandoned = true
	}
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

// fail answers a refused request with a JSON failure envelope.
func fail(c *gin.Context, status int, msg string) {
	c.Data(status, "application/json", failureBody(msg))
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
			fail(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds the limit of %d bytes", s.cfg.BodyLimit))
			return nil, false
		}
		s.log.Warn("cannot read request body", "path", c.Request.URL.Path, "err", err)
		fail(c, http.StatusBadRequest, "cannot read request body: "+err.Error())
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
		tu = clip(tu, s.cfg.MaxTaskUUIDLen)
		msg := fmt.Sprintf("URI %s is synchronous but the request carries a taskuuid header [%s]; it was sent as an async call", path, tu)
		s.log.Error("sync URI called with a taskuuid", "path", path, "taskuuid", tu)
		fail(c, http.StatusInternalServerError, msg)
		return
	}
	// The handler runs before the answer is written; the server-wide write
	// timeout is sized for answers that come at once. Without a Server (under
	// httptest) there may be no deadline to extend, which is fine.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(s.cfg.SyncWriteTimeout))
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	s.logRequest(c, path, "", false, body)
	req := &Request{Path: path, Header: c.Request.Header.Clone(), Body: body}
	ctx := WithTaskLog(c.Request.Context(), "path", path)
	out, errText := s.invoke(ctx, h, req, true)
	if errText != "" {
		s.log.WarnContext(ctx, "sync handler failed", "path", path, "error", errText)
	}
	// out is nil only for a nil reply: /host/echo answers an empty body.
	c.Data(http.StatusOK, "application/json", out)
}

// clip shortens s to at most n bytes for logs and answers, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (s *Server) serveAsync(c *gin.Context, path string, l *lane, h Handler) {
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
	if len(taskUUID) > s.cfg.MaxTaskUUIDLen {
		s.log.Warn("taskuuid too long; refused", "path", path, "taskuuid", clip(taskUUID, 64), "len", len(taskUUID))
		fail(c, http.StatusBadRequest, fmt.Sprintf("taskuuid is %d bytes long, more than the limit of %d bytes; refusing",
			len(taskUUID), s.cfg.MaxTaskUUIDLen))
		return
	}
	callbackURL := c.GetHeader(HeaderCallbackURL)
	if callbackURL == "" {
		s.log.Warn("async request without callbackurl; refused", "path", path, "taskuuid", taskUUID)
		fail(c, http.StatusBadRequest, msgCallbackMissing)
		return
	}
	if u, err := url.Parse(callbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		cu := clip(callbackURL, 256)
		s.log.Warn("async request with an invalid callbackurl; refused", "path", path, "taskuuid", taskUUID, "callbackurl", cu)
		fail(c, http.StatusBadRequest, fmt.Sprintf("callbackurl [%s] is not an http(s) URL: the reply cannot be posted to it; refusing", cu))
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	s.logRequest(c, path, taskUUID, true, body)
	req := &Request{Path: path, TaskUUID: taskUUID, Header: c.Request.Header.Clone(), Body: body}

	t, outcome, msg := s.admit(path, l, taskUUID, requestSum(path, body), int64(len(body)))
	switch outcome {
	case admitStopping:
		c.String(http.StatusBadRequest, msgStopping)
		return
	case admitMismatch:
		s.log.Warn("taskuuid reused for another request; refused", "taskuuid", taskUUID, "path", path, "firstPath", t.path)
		fail(c, http.StatusBadRequest, msg)
		return
	case admitQueueFull, admitTableFull:
		s.log.Warn("async request refused", "taskuuid", taskUUID, "path", path, "reason", msg)
		fail(c, http.StatusServiceUnavailable, msg)
		return
	case admitRunning:
		s.log.Info("ignored duplicated task", "taskuuid", taskUUID, "path", path)
	case admitRedeliveryLimit:
		s.log.Warn("duplicated task already finished and its result already posted again; ignored",
			"taskuuid", taskUUID, "path", path, "reposts", s.cfg.MaxRedeliveries)
	case admitFinished:
		s.log.Info("duplicated task already finished, posting its result again", "taskuuid", taskUUID, "path", path)
		go func() {
			defer s.end()
			s.postCallback(t, callbackURL, t.result, t.errText)
		}()
	case admitNew, admitQueued:
		go s.runTask(t, h, req, callbackURL, outcome == admitQueued)
	}
	c.Status(http.StatusOK)
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
				fail(c, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", v))
			}
			c.Abort()
		}
	}()
	c.Next()
}
