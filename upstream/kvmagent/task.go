package kvmagent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"
)

// task is one async call, keyed by its taskuuid. The MN resends a POST whose
// answer it lost with the same taskuuid and believes the first callback, so
// an entry outlives the run for cfg.TaskRetention to answer such resends
// with the first result instead of a second run.
type task struct {
	uuid string
	path string
	sum  [sha256.Size]byte // of path and body: a resend must be byte-identical
	lane *lane
	srv  *Server // the server that admitted it
	size int64   // body bytes, counted in the lane's queue while waiting

	// Under Server.mu (the task table's lock).
	queued       bool   // admitted, waiting for a worker
	done         bool   // the handler has returned (or the task was dropped unstarted)
	result       []byte // the callback body (ASCII JSON object)
	errText      string // the error header, "" on success
	finishedAt   time.Time
	redeliveries int  // results posted again for resends
	delivering   int  // callback deliveries in flight
	abandoned    bool // Shutdown's hard stop logged it already

	logAttrs []slog.Attr // the handler's log attributes, for the callback's lines; set before finish
}

type admitOutcome int

const (
	admitNew admitOutcome = iota // holds a worker
	admitQueued
	admitRunning
	admitFinished
	admitRedeliveryLimit
	admitMismatch
	admitQueueFull
	admitTableFull
	admitStopping
)

// requestSum identifies a request for duplicate detection.
func requestSum(path string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// admit looks the task up and, for a new one or a finished one whose result
// is posted again, counts a background job before the lock is released, so
// that Shutdown cannot miss it. A new task takes a free worker of its lane
// at once or joins the lane's bounded queue. msg explains a refusal.
func (s *Server) admit(path string, l *lane, taskUUID string, sum [sha256.Size]byte, size int64) (*task, admitOutcome, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, admitStopping, ""
	}
	s.expireLocked()
	if t, ok := s.table.tasks[taskUUID]; ok {
		if t.sum != sum {
			msg := fmt.Sprintf("taskuuid %s was already used for %s with a different body; refusing", taskUUID, path)
			if t.path != path {
				msg = fmt.Sprintf("taskuuid %s was already used for %s; refusing it for %s", taskUUID, t.path, path)
			}
			return t, admitMismatch, msg
		}
		switch {
		case !t.done:
			return t, admitRunning, ""
		case t.redeliveries >= s.cfg.MaxRedeliveries:
			return t, admitRedeliveryLimit, ""
		}
		t.redeliveries++
		t.delivering++
		s.beginLocked()
		return t, admitFinished, ""
	}
	if len(s.table.tasks) >= s.cfg.TaskLimit {
		return nil, admitTableFull, fmt.Sprintf("task table full: %d tasks queued, running or kept %s for duplicate suppression; retry later",
			len(s.table.tasks), s.cfg.TaskRetention)
	}
	t := &task{uuid: taskUUID, path: path, sum: sum, lane: l, srv: s, size: size}
	outcome := admitNew
	select {
	case l.workers <- struct{}{}:
	default:
		if l.waiting >= l.cfg.QueueLimit || (l.waiting > 0 && l.waitingBytes+size > l.cfg.QueueBytes) {
			return nil, admitQueueFull, fmt.Sprintf("async queue of lane %s is full: %d tasks (%d body bytes) wait for its %d workers; retry later",
				l.name, l.waiting, l.waitingBytes, l.cfg.Workers)
		}
		t.queued = true
		l.waiting++
		l.waitingBytes += size
		outcome = admitQueued
	}
	s.table.tasks[taskUUID] = t
	s.beginLocked()
	return t, outcome, ""
}

// dequeueLocked takes t out of its lane's queue.
func (s *Server) dequeueLocked(t *task) {
	if t.queued {
		t.queued = false
		t.lane.waiting--
		t.lane.waitingBytes -= t.size
	}
}

// expireLocked drops finished tasks older than the retention. Tasks finish in
// the order of s.table.finished and share one retention, so the expired ones are a
// prefix: no sweeper goroutine is needed, every admit and finish trims it.
func (s *Server) expireLocked() {
	now := s.now()
	n := 0
	for n < len(s.table.finished) && now.Sub(s.table.finished[n].finishedAt) >= s.cfg.TaskRetention {
		t := s.table.finished[n]
		if s.table.tasks[t.uuid] == t {
			delete(s.table.tasks, t.uuid)
		}
		s.table.finished[n] = nil
		n++
	}
	s.table.finished = s.table.finished[n:]
}

func (s *Server) finish(t *task, result []byte, errText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.done, t.result, t.errText, t.finishedAt = true, result, errText, s.now()
	t.delivering++
	s.table.finished = append(s.table.finished, t)
	s.expireLocked()
}

// acquireWorker waits for a worker of t's lane. It reports false when
// Shutdown began first: a task that never started is not started then.
func (s *Server) acquireWorker(t *task) bool {
	got := false
	select {
	case t.lane.workers <- struct{}{}:
		got = true
	case <-s.stoppingCh:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dequeueLocked(t)
	if got && s.stopping {
		<-t.lane.workers
		got = false
	}
	return got
}

func (s *Server) runTask(t *task, h Handler, req *Request, callbackURL string, queued bool) {
	defer s.end()
	var result []byte
	var errText string
	ctx := WithTaskLog(s.hardCtx, "taskuuid", t.uuid, "path", t.path)
	if !queued || s.acquireWorker(t) {
		result, errText = s.invoke(ctx, h, req, false)
		<-t.lane.workers
	} else {
		errText = msgNeverStarted
		result = failureBody(errText)
		s.log.Warn("task abandoned: kvmagent is stopping and the task never started; posting a failure",
			"taskuuid", t.uuid, "path", t.path)
	}
	t.logAttrs = LogAttrs(ctx)
	s.finish(t, result, errText)
	if errText != "" {
		s.log.WarnContext(ctx, "task failed", "taskuuid", t.uuid, "path", t.path, "error", errText)
	} else {
		s.log.InfoContext(ctx, "task done", "taskuuid", t.uuid, "path", t.path)
	}
	s.postCallback(t, callbackURL, result, errText)
}

// invoke runs h the way @replyerror wraps a handler: an error or a panic
// becomes a failed envelope. It returns the reply body (ASCII JSON) and the
// failure text, "" on success. A nil reply gives a nil body when sync (the
// caller sends an empty body) and a bare success envelope when async,
// because a callback body must always be a JSON object.
func (s *Server) invoke(ctx context.Context, h Handler, req *Request, sync bool) (body []byte, errText string) {
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(ctx, "unhandled exception in handler", "path", req.Path, "taskuuid", req.TaskUUID,
				"panic", fmt.Sprint(v), "stack", stack())
			errText = fmt.Sprintf("unhandled exception: %v", v)
			body = failureBody(errText)
		}
	}()
	reply, err := h(ctx, req)
	if err != nil {
		errText = errorText(err)
		return failureBody(errText), errText
	}
	body, errText, err = encodeReply(reply)
	if err != nil {
		s.log.ErrorContext(ctx, "bad reply from handler", "path", req.Path, "taskuuid", req.TaskUUID, "err", err)
		return body, errText
	}
	if body == nil && !sync {
		body = successBody()
	}
	return body, errText
}

func stack() string { return string(debug.Stack()) }

// backoff returns the delay before try n+1 (n ≥ 1): the configured first
// delay, doubled each time, capped at 8 times the first.
func (s *Server) backoff(n int) time.Duration {
	d := s.cfg.CallbackBackoff
	for i := 1; i < n && d < 8*s.cfg.CallbackBackoff; i++ {
		d *= 2
	}
	return min(d, 8*s.cfg.CallbackBackoff)
}

// postCallback POSTs the result to the callback URL, retrying connection
// errors and 5xx. Any other answer counts as delivered: the MN says 404 for
// a task it no longer waits for, and resending would not change that. The
// whole delivery ends at CallbackDeadline; each try waits for one of
// CallbackConcurrency slots. Once Shutdown began, the try in flight is the
// last. The caller counted the delivery in t.delivering.
func (s *Server) postCallback(t *task, callbackURL string, body []byte, errText string) {
	log := s.log.With("taskuuid", t.uuid, "path", t.path, "callbackurl", callbackURL)
	for _, a := range t.logAttrs {
		if a.Key != "taskuuid" && a.Key != "path" {
			log = log.With(a) // the vm the handler named
		}
	}
	defer func() {
		s.mu.Lock()
		t.delivering--
		s.mu.Unlock()
	}()
	if callbackURL == "" {
		log.Warn("no callbackurl header in the request; reply not sent", "reply", string(MaskSensitive(body)))
		return
	}
	if u, err := url.Parse(callbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		log.Error("invalid callbackurl; reply not sent", "reply", string(MaskSensitive(body)))
		return
	}
	ctx, cancel := context.WithTimeout(s.hardCtx, s.cfg.CallbackDeadline)
	defer cancel()
	giveUp := func(why string, try int) {
		if s.hardCtx.Err() != nil && s.isAbandoned(t) {
			return // logged by Shutdown
		}
		log.Error("callback given up: "+why, "tries", try, "reply", string(MaskSensitive(body)))
	}
	log.Debug("posting callback", "body", string(MaskSensitive(body)))
	for try := 1; ; try++ {
		select {
		case s.cbSlot <- struct{}{}:
		case <-ctx.Done():
			giveUp(s.ctxReason(ctx)+" while waiting for a delivery slot", try-1)
			return
		}
		status, err := s.postOnce(ctx, callbackURL, t.uuid, body, errText)
		<-s.cbSlot
		switch {
		case err == nil && status < 500:
			if status == http.StatusNotFound {
				log.Warn("callback: the management node no longer knows this task", "status", status, "try", try)
			} else if status >= 300 {
				log.Warn("callback refused", "status", status, "try", try)
			} else {
				log.Info("callback delivered", "status", status, "try", try)
			}
			return
		case err != nil:
			log.Warn("callback failed", "try", try, "err", err)
		default:
			log.Warn("callback failed", "try", try, "status", status)
		}
		switch {
		case ctx.Err() != nil:
			giveUp(s.ctxReason(ctx), try)
			return
		case s.isStopping():
			giveUp("kvmagent is stopping", try)
			return
		case try >= s.cfg.CallbackRetries:
			giveUp("no tries left", try)
			return
		}
		timer := time.NewTimer(s.backoff(try))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			giveUp(s.ctxReason(ctx), try)
			return
		case <-s.stoppingCh:
			timer.Stop()
			giveUp("kvmagent is stopping", try)
			return
		}
	}
}

// ctxReason says why a delivery's context ended.
func (s *Server) ctxReason(ctx context.Context) string {
	if s.hardCtx.Err() != nil {
		return "kvmagent stopped"
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("delivery deadline of %s passed", s.cfg.CallbackDeadline)
	}
	return ctx.Err().Error()
}

func (s *Server) isAbandoned(t *task) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return t.abandoned
}

func (s *Server) postOnce(ctx context.Context, callbackURL, taskUUID string, body []byte, errText string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build callback request: %w", err)
	}
	req.Header.Set(HeaderTaskUUID, taskUUID)
	req.Header.Set("Content-Type", "application/json")
	if errText != "" {
		req.Header.Set(HeaderError, headerSafe(errText))
	}
	req.Close = true // sends "Connection: close", as http.py does
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post callback: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
