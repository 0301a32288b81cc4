package kvmagent

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
	// Set once, under Server.mu, when the handler has returned.
	done       bool
	result     []byte // the callback body (ASCII JSON object)
	errText    string // the error header, "" on success
	finishedAt time.Time
}

type admitOutcome int

const (
	admitNew admitOutcome = iota
	admitRunning
	admitFinished
	admitStopping
)

// admit looks the task up and, for a new one or a finished one whose result
// is posted again, counts a background job before the lock is released, so
// that Shutdown cannot miss it.
func (s *Server) admit(path, taskUUID string) (*task, admitOutcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, admitStopping
	}
	s.expireLocked()
	if t, ok := s.tasks[taskUUID]; ok {
		if !t.done {
			return t, admitRunning
		}
		s.beginLocked()
		return t, admitFinished
	}
	t := &task{uuid: taskUUID, path: path}
	s.tasks[taskUUID] = t
	s.beginLocked()
	return t, admitNew
}

// expireLocked drops finished tasks older than the retention. Tasks finish in
// the order of s.finished and share one retention, so the expired ones are a
// prefix: no sweeper goroutine is needed, every admit and finish trims it.
func (s *Server) expireLocked() {
	now := s.now()
	n := 0
	for n < len(s.finished) && now.Sub(s.finished[n].finishedAt) >= s.cfg.TaskRetention {
		t := s.finished[n]
		if s.tasks[t.uuid] == t {
			delete(s.tasks, t.uuid)
		}
		s.finished[n] = nil
		n++
	}
	s.finished = s.finished[n:]
}

func (s *Server) finish(t *task, result []byte, errText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.done, t.result, t.errText, t.finishedAt = true, result, errText, s.now()
	s.finished = append(s.finished, t)
	s.expireLocked()
}

func (s *Server) runTask(t *task, h Handler, req *Request, callbackURL string) {
	defer s.end()
	var result []byte
	var errText string
	select {
	case s.sem <- struct{}{}:
		result, errText = s.invoke(s.hardCtx, h, req, false)
		<-s.sem
	case <-s.hardCtx.Done():
		// Accepted but never started before the shutdown deadline.
		errText = msgStopping
		result = failureBody(errText)
	}
	s.finish(t, result, errText)
	if errText != "" {
		s.log.Warn("task failed", "taskuuid", t.uuid, "path", t.path, "error", errText)
	} else {
		s.log.Info("task done", "taskuuid", t.uuid, "path", t.path)
	}
	s.postCallback(callbackURL, t.uuid, result, errText)
}

// invoke runs h the way @replyerror wraps a handler: an error or a panic
// becomes a failed envelope. It returns the reply body (ASCII JSON) and the
// failure text, "" on success. A nil reply gives a nil body when sync (the
// caller sends an empty body) and a bare success envelope when async,
// because a callback body must always be a JSON object.
func (s *Server) invoke(ctx context.Context, h Handler, req *Request, sync bool) (body []byte, errText string) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("unhandled exception in handler", "path", req.Path, "taskuuid", req.TaskUUID,
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
		s.log.Error("bad reply from handler", "path", req.Path, "taskuuid", req.TaskUUID, "err", err)
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
// a task it no longer waits for, and resending would not change that.
func (s *Server) postCallback(callbackURL, taskUUID string, body []byte, errText string) {
	log := s.log.With("taskuuid", taskUUID, "callbackurl", callbackURL)
	if callbackURL == "" {
		log.Warn("no callbackurl header in the request; reply not sent", "reply", string(MaskSensitive(body)))
		return
	}
	if u, err := url.Parse(callbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		log.Error("invalid callbackurl; reply not sent", "reply", string(MaskSensitive(body)))
		return
	}
	log.Debug("posting callback", "body", string(MaskSensitive(body)))
	for try := 1; ; try++ {
		status, err := s.postOnce(callbackURL, taskUUID, body, errText)
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
		if try >= s.cfg.CallbackRetries {
			log.Error("callback given up", "tries", try, "reply", string(MaskSensitive(body)))
			return
		}
		timer := time.NewTimer(s.backoff(try))
		select {
		case <-timer.C:
		case <-s.hardCtx.Done():
			timer.Stop()
			log.Error("callback abandoned: kvmagent stopped", "tries", try)
			return
		}
	}
}

func (s *Server) postOnce(callbackURL, taskUUID string, body []byte, errText string) (int, error) {
	req, err := http.NewRequestWithContext(s.hardCtx, http.MethodPost, callbackURL, bytes.NewReader(body))
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
