// Package virtconn holds the agent's one libvirt connection (vm_plugin's
// LibvirtAutoReconnect). The 2018 agent exited when libvirtd went away; this
// one reports a clear error for the call that failed and opens a new
// connection on the next call, so it recovers by itself when libvirtd is back.
//
// Every libvirt call is bounded, in two ways:
//
//   - libvirt keepalive (virConnectSetKeepAlive over libvirt's default event
//     loop, which this package runs while a Conn is open): a frozen libvirtd
//     stops answering the pings, libvirt closes the connection, and every call
//     blocked on it returns with an error;
//   - a Go-side timeout (Options.CallTimeout, 30 s by default) around each
//     call and each connection attempt, for what keepalive cannot see (a
//     libvirtd that answers pings but not the call, or one frozen while the
//     connection is being opened, before keepalive is on).
//
// A timed-out call cannot be cancelled inside libvirt: its goroutine is
// abandoned and runs on until libvirt returns. So that abandoned goroutines
// neither corrupt state nor pile up:
//
//   - results leave a call only through its return values (Call), never
//     through variables the caller reads after giving up; Do's fn must
//     follow the same rule (write only what the caller reads after a nil
//     error);
//   - the connection a call timed out on is retired: later calls get a fresh
//     one, opened by a single connection attempt at a time; the retired
//     connection is closed when its last call returns (closing it under a
//     blocked call would free memory that call still uses);
//   - at most MaxAbandoned calls may be abandoned at once; past that Do fails
//     at once without calling libvirt, until one of them returns; and at most
//     one connection attempt is in flight, so a libvirtd frozen before it
//     answers the handshake holds one goroutine, not one per request.
//
// Conn also keeps libvirt's state (up, down and why, since when) so the
// host calls can report an outage without calling libvirt.
package virtconn

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
)

// Defaults of Options.
const (
	// DefaultURI is libvirt's embedded test driver: no daemon needed.
	DefaultURI               = "test:///default"
	DefaultCallTimeout       = 30 * time.Second
	DefaultKeepAliveInterval = 5 * time.Second
	DefaultKeepAliveCount    = 3
	// MaxAbandoned bounds the calls left running in libvirt after their
	// caller timed out (see the package documentation).
	MaxAbandoned = 16
)

// Options tunes a Conn; zero fields take the defaults above.
type Options struct {
	Logger *slog.Logger
	// CallTimeout bounds each libvirt call and each connection attempt.
	CallTimeout time.Duration
	// KeepAliveInterval is how often libvirt pings an idle peer; a negative
	// value turns keepalive off.
	KeepAliveInterval time.Duration
	// KeepAliveCount is how many unanswered pings close the connection, so
	// a frozen libvirtd is noticed after about interval × (count+1).
	KeepAliveCount uint
}

// Status is libvirt's state as the Conn last saw it.
type Status int

// The states of a Conn.
const (
	StatusConnecting Status = iota // no connection attempt has finished yet
	StatusUp                       // the last attempt or call reached libvirt
	StatusDown                     // libvirt is unreachable; State.Err says why
)

func (s Status) String() string {
	switch s {
	case StatusUp:
		return "up"
	case StatusDown:
		return "down"
	}
	return "connecting"
}

// State is a snapshot of libvirt's availability.
type State struct {
	URI    string
	Status Status
	Since  time.Time // when Status last changed
	Err    error     // why it is down; nil otherwise
}

// UnavailableError is what host calls answer during an outage.
type UnavailableError struct {
	URI    string
	Since  time.Time
	Reason error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("libvirt is unavailable at %s since %s: %v", e.URI, e.Since.Format(time.RFC3339), e.Reason)
}

func (e *UnavailableError) Unwrap() error { return e.Reason }

// TimeoutError is a call or connection attempt that libvirt did not answer
// within Options.CallTimeout.
type TimeoutError struct {
	URI   string
	After time.Duration
	What  string
	// Returned, for an abandoned call, is closed when that call returns
	// inside libvirt; nil when no call was made. A caller that undoes what
	// the call did waits for it first, or the call may redo it after.
	Returned <-chan struct{}
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("libvirt did not answer within %s (%s): %s", e.After, e.URI, e.What)
}

// Conn is a lazily opened, self-healing libvirt connection, safe for
// concurrent use.
type Conn struct {
	uri        string
	log        *slog.Logger
	timeout    time.Duration
	kaInterval time.Duration
	kaCount    uint

	mu        sync.Mutex
	cur       *generation // nil: none open
	opening   *attempt    // the one connection attempt in flight, if any
	status    Status
	since     time.Time
	reason    error
	abandoned int // calls whose caller gave up and that have not returned
	loopHeld  bool
	closed    bool
}

// generation is one opened libvirt connection.
type generation struct {
	conn     *libvirt.Connect
	inflight int  // calls running on it
	retired  bool // no new calls; closed when inflight reaches 0
	closed   bool
}

// attempt is one libvirt.NewConnect in flight.
type attempt struct {
	start time.Time
	done  chan struct{} // closed when err is set or the connection is installed
	err   error
}

// New returns a Conn for uri with the default Options; nothing is opened
// until first use or Connect.
func New(uri string, log *slog.Logger) *Conn {
	return NewWithOptions(uri, Options{Logger: log})
}

// NewWithOptions returns a Conn for uri; nothing is opened until first use
// or Connect.
func NewWithOptions(uri string, opt Options) *Conn {
	if uri == "" {
		uri = DefaultURI
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = DefaultCallTimeout
	}
	if opt.KeepAliveInterval == 0 {
		opt.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if opt.KeepAliveCount == 0 {
		opt.KeepAliveCount = DefaultKeepAliveCount
	}
	return &Conn{
		uri: uri, log: opt.Logger, timeout: opt.CallTimeout,
		kaInterval: opt.KeepAliveInterval, kaCount: opt.KeepAliveCount,
		since: time.Now(),
	}
}

// URI is the libvirt URI this Conn opens.
func (c *Conn) URI() string { return c.uri }

// State reports libvirt's availability as last seen, without calling it.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return State{URI: c.uri, Status: c.status, Since: c.since, Err: c.reason}
}

// Err is nil unless libvirt is down; then it is an *UnavailableError naming
// the URI, since when and why. It does not call libvirt.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != StatusDown {
		return nil
	}
	return &UnavailableError{URI: c.uri, Since: c.since, Reason: c.reason}
}

// Connect opens the connection in the background if none is open or being
// opened, and returns at once: the agent listens before libvirt answers.
func (c *Conn) Connect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil && !c.closed {
		c.startOpenLocked()
	}
}

// Do runs fn on an open connection, bounded by the call timeout. If fn
// fails because the connection broke (libvirtd restarted), Do reconnects
// and runs fn once more. A libvirt error comes back as its message alone
// (errors.As still finds the libvirt.Error).
//
// On a timeout Do returns while fn still runs in libvirt: fn must not write
// anything the caller reads after Do returned an error. Call passes results
// out safely.
func (c *Conn) Do(fn func(*libvirt.Connect) error) error {
	_, err := Call(c, func(conn *libvirt.Connect) (struct{}, error) { return struct{}{}, fn(conn) })
	return err
}

// Call is Do for a call with a result: the result leaves fn only through
// its return, so a call abandoned after a timeout cannot race its caller.
func Call[T any](c *Conn, fn func(*libvirt.Connect) (T, error)) (T, error) {
	return CallWithin(c, c.timeout, fn)
}

// DoWithin is Do bounded by d instead of Options.CallTimeout, for a call
// that is allowed longer (a start whose command names its own timeout); a d
// below the call timeout is raised to it.
func (c *Conn) DoWithin(d time.Duration, fn func(*libvirt.Connect) error) error {
	_, err := CallWithin(c, d, func(conn *libvirt.Connect) (struct{}, error) { return struct{}{}, fn(conn) })
	return err
}

// CallWithin is Call bounded by d instead of Options.CallTimeout (at least
// the call timeout).
func CallWithin[T any](c *Conn, d time.Duration, fn func(*libvirt.Connect) (T, error)) (T, error) {
	d = max(d, c.timeout)
	deadline := time.Now().Add(d) // shared by the retry: one bound per call
	v, err := call(c, fn, deadline, d)
	if err == nil || !IsConnectionError(err) {
		return v, err
	}
	v, rerr := call(c, fn, deadline, d)
	if rerr != nil && IsConnectionError(rerr) {
		return v, fmt.Errorf("%w (after reconnecting: %v)", err, rerr)
	}
	return v, rerr
}

type result[T any] struct {
	v   T
	err error
}

func call[T any](c *Conn, fn func(*libvirt.Connect) (T, error), deadline time.Time, after time.Duration) (T, error) {
	var zero T
	if time.Until(deadline) <= 0 {
		return zero, &TimeoutError{URI: c.uri, After: after, What: "no time left to retry after reconnecting"}
	}
	c.mu.Lock()
	if c.abandoned >= MaxAbandoned {
		n := c.abandoned
		c.mu.Unlock()
		return zero, fmt.Errorf("libvirt has not answered %d calls (%s); refusing new ones until one returns", n, c.uri)
	}
	c.mu.Unlock()
	g, err := c.get(deadline)
	if err != nil {
		return zero, err
	}
	done := make(chan result[T], 1) // buffered: an abandoned call never blocks on send
	var returned, gaveUp bool       // guarded by c.mu
	returnedCh := make(chan struct{})
	go func() {
		v, err := fn(g.conn)
		defer close(returnedCh)
		c.mu.Lock()
		returned = true
		if gaveUp {
			c.abandoned--
		}
		closeNow := c.releaseLocked(g)
		c.mu.Unlock()
		if closeNow {
			c.closeGen(g)
		}
		done <- result[T]{v, err}
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil && IsConnectionError(r.err) {
			c.lost(g, readable(r.err))
		}
		return r.v, readable(r.err)
	case <-timer.C:
	}
	c.mu.Lock()
	if returned { // lost the race by a hair: the result is on its way
		c.mu.Unlock()
		r := <-done
		return r.v, readable(r.err)
	}
	gaveUp = true
	c.abandoned++
	terr := &TimeoutError{URI: c.uri, After: after, What: "the call was abandoned and the connection is reopened", Returned: returnedCh}
	c.retireLocked(g, terr)
	if !c.closed {
		c.startOpenLocked() // the new connection doubles as a probe of libvirtd
	}
	c.mu.Unlock()
	c.log.Warn("libvirt call timed out", "uri", c.uri, "timeout", after)
	return zero, terr
}

// get returns the open connection with a call counted on it, opening one if
// needed; it waits at most until deadline, and not at all for an attempt
// that is already older than the call timeout.
func (c *Conn) get(deadline time.Time) (*generation, error) {
	for range 3 { // an attempt's connection may be lost before we use it
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, fmt.Errorf("libvirt connection to %s is closed", c.uri)
		}
		if g := c.cur; g != nil {
			g.inflight++
			c.mu.Unlock()
			return g, nil
		}
		a := c.startOpenLocked()
		limit := a.start.Add(c.timeout)
		if deadline.Before(limit) {
			limit = deadline
		}
		c.mu.Unlock()
		wait := time.Until(limit)
		if wait <= 0 {
			return nil, c.openTimedOut(a)
		}
		timer := time.NewTimer(wait)
		select {
		case <-a.done:
			timer.Stop()
			if a.err != nil {
				return nil, a.err
			}
		case <-timer.C:
			return nil, c.openTimedOut(a)
		}
	}
	return nil, fmt.Errorf("libvirt connection to %s was lost as soon as it opened", c.uri)
}

// openTimedOut marks libvirt down when attempt a is still hanging and
// returns the error for a caller who waited for it.
func (c *Conn) openTimedOut(a *attempt) error {
	terr := &TimeoutError{URI: c.uri, After: c.timeout, What: "opening the connection"}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.opening == a && time.Since(a.start) >= c.timeout {
		c.setStatusLocked(StatusDown, terr)
	}
	if c.status == StatusDown {
		return &UnavailableError{URI: c.uri, Since: c.since, Reason: c.reason}
	}
	return terr
}

// startOpenLocked returns the attempt in flight, or starts one.
func (c *Conn) startOpenLocked() *attempt {
	if c.opening != nil {
		return c.opening
	}
	a := &attempt{start: time.Now(), done: make(chan struct{})}
	c.opening = a
	if !c.loopHeld {
		c.loopHeld = acquireLoop(c.log)
	}
	// Mark libvirt down when the attempt hangs, so the state tells the
	// truth even when no caller is waiting.
	hung := time.AfterFunc(c.timeout, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.opening == a && c.status != StatusDown {
			c.setStatusLocked(StatusDown, &TimeoutError{URI: c.uri, After: c.timeout, What: "opening the connection"})
		}
	})
	go c.open(a, hung)
	return a
}

func (c *Conn) open(a *attempt, hung *time.Timer) {
	conn, err := libvirt.NewConnect(c.uri)
	hung.Stop()
	var g *generation
	if err == nil {
		g = &generation{conn: conn}
		if c.kaInterval > 0 {
			if kerr := conn.SetKeepAlive(int(max(c.kaInterval/time.Second, 1)), c.kaCount); kerr != nil {
				// The test driver and other in-process drivers have no
				// keepalive; the call timeout still bounds them.
				c.log.Debug("libvirt keepalive not available", "uri", c.uri, "err", readable(kerr))
			}
		}
		if cerr := conn.RegisterCloseCallback(func(_ *libvirt.Connect, reason libvirt.ConnectCloseReason) {
			c.lost(g, fmt.Errorf("libvirt closed the connection: %s", closeReason(reason)))
		}); cerr != nil {
			c.log.Debug("libvirt close callback not available", "uri", c.uri, "err", readable(cerr))
		}
	}
	c.mu.Lock()
	if c.opening == a {
		c.opening = nil
	}
	closeNow := false
	switch {
	case err != nil:
		a.err = fmt.Errorf("unable to connect to libvirt at %s: %w", c.uri, readable(err))
		c.setStatusLocked(StatusDown, readable(err))
	case c.closed:
		a.err = fmt.Errorf("libvirt connection to %s is closed", c.uri)
		g.retired, closeNow = true, true
	default:
		c.cur = g
		c.setStatusLocked(StatusUp, nil)
	}
	c.mu.Unlock()
	close(a.done)
	if closeNow {
		c.closeGen(g)
	}
}

// lost retires g after libvirt or a call reported it broken.
func (c *Conn) lost(g *generation, why error) {
	c.mu.Lock()
	closeNow := c.retireLocked(g, why)
	c.mu.Unlock()
	if closeNow {
		// Not inline: this may run inside libvirt's close callback, where
		// closing the connection would wait for the callback itself.
		go c.closeGen(g)
	}
}

// retireLocked takes g out of use and marks libvirt down if g was current;
// it reports whether g can be closed now.
func (c *Conn) retireLocked(g *generation, why error) bool {
	if c.cur == g {
		c.cur = nil
		c.setStatusLocked(StatusDown, why)
	}
	g.retired = true
	return g.inflight == 0 && !g.closed
}

func (c *Conn) releaseLocked(g *generation) bool {
	g.inflight--
	return g.retired && g.inflight == 0 && !g.closed
}

func (c *Conn) closeGen(g *generation) {
	c.mu.Lock()
	if g.closed {
		c.mu.Unlock()
		return
	}
	g.closed = true
	c.mu.Unlock()
	_ = g.conn.UnregisterCloseCallback()
	_, _ = g.conn.Close()
}

func (c *Conn) setStatusLocked(s Status, why error) {
	if s != c.status {
		c.since = time.Now()
		switch s {
		case StatusUp:
			c.log.Info("libvirt connected", "uri", c.uri)
		case StatusDown:
			c.log.Warn("libvirt unavailable", "uri", c.uri, "err", why)
		}
	}
	c.status, c.reason = s, why
}

// Close closes the connection; calls running on it finish first, in
// libvirt's own time. A closed Conn refuses new calls.
func (c *Conn) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	var closeNow *generation
	if g := c.cur; g != nil {
		c.cur = nil
		g.retired = true
		if g.inflight == 0 {
			closeNow = g
		}
	}
	held := c.loopHeld
	c.loopHeld = false
	c.mu.Unlock()
	if closeNow != nil {
		c.closeGen(closeNow)
	}
	if held {
		releaseLoop()
	}
}

func closeReason(r libvirt.ConnectCloseReason) string {
	switch r {
	case libvirt.CONNECT_CLOSE_REASON_KEEPALIVE:
		return "keepalive timed out (libvirtd stopped answering)"
	case libvirt.CONNECT_CLOSE_REASON_EOF:
		return "end of file (libvirtd went away)"
	case libvirt.CONNECT_CLOSE_REASON_CLIENT:
		return "closed by the client"
	}
	return "socket error"
}

// libvirtError shows a libvirt error as its message, which is what the
// seed's str(libvirtError) shows, instead of the binding's
// "virError(Code=..., Domain=..., Message='...')".
type libvirtError struct{ lerr libvirt.Error }

func (e libvirtError) Error() string {
	if e.lerr.Message == "" {
		return e.lerr.Error()
	}
	return e.lerr.Message
}

func (e libvirtError) Unwrap() error { return e.lerr }

func readable(err error) error {
	if lerr, ok := err.(libvirt.Error); ok {
		return libvirtError{lerr}
	}
	return err
}

// IsConnectionError reports whether err means the connection itself is gone
// ("client socket is closed", "Broken pipe" in the 2018 agent's terms).
func IsConnectionError(err error) bool {
	var lerr libvirt.Error
	if !errors.As(err, &lerr) {
		return false
	}
	switch lerr.Code {
	case libvirt.ERR_NO_CONNECT, libvirt.ERR_INVALID_CONN, libvirt.ERR_SYSTEM_ERROR, libvirt.ERR_RPC, libvirt.ERR_AUTH_FAILED:
		return lerr.Domain == libvirt.FROM_REMOTE || lerr.Domain == libvirt.FROM_RPC || lerr.Code == libvirt.ERR_INVALID_CONN || lerr.Code == libvirt.ERR_NO_CONNECT
	}
	return false
}

// IsNoDomain reports whether err is libvirt's "domain not found".
func IsNoDomain(err error) bool {
	var lerr libvirt.Error
	return errors.As(err, &lerr) && lerr.Code == libvirt.ERR_NO_DOMAIN
}
