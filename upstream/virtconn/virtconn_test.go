package virtconn

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"libvirt.org/go/libvirt"
)

// hangGuard only stops a broken test from hanging; nothing is timed against it.
const hangGuard = 2 * time.Minute

const systemSocket = "/var/run/libvirt/libvirt-sock"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func libVersion(c *libvirt.Connect) (uint32, error) { return c.GetLibVersion() }

// within runs f and fails the test if it has not returned after hangGuard.
func within[T any](t *testing.T, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("still blocked after %s", hangGuard)
	}
	panic("unreachable")
}

func TestCallsReuseOneConnection(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := New("", quiet())
	defer c.Close()
	if c.URI() != DefaultURI {
		t.Fatalf("URI = %q, want %q", c.URI(), DefaultURI)
	}
	if st := c.State(); st.Status != StatusConnecting || c.Err() != nil {
		t.Fatalf("before any call: %+v, Err %v", st, c.Err())
	}
	var first, second *libvirt.Connect
	if err := c.Do(func(conn *libvirt.Connect) error { first = conn; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(func(conn *libvirt.Connect) error { second = conn; return nil }); err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("second call opened another connection")
	}
	if st := c.State(); st.Status != StatusUp || st.Err != nil {
		t.Errorf("after a call: %+v", st)
	}
}

func TestConnectInTheBackground(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := New(DefaultURI, quiet())
	defer c.Close()
	c.Connect()
	within(t, func() bool {
		for c.State().Status != StatusUp {
			time.Sleep(5 * time.Millisecond)
		}
		return true
	})
}

func TestLibvirtErrorsAreReadable(t *testing.T) {
	c := New(DefaultURI, quiet())
	defer c.Close()
	err := c.Do(func(conn *libvirt.Connect) error {
		_, err := conn.LookupDomainByName("strata-no-such-domain")
		return err
	})
	if err == nil || strings.Contains(err.Error(), "virError(") || !strings.Contains(err.Error(), "Domain not found") {
		t.Errorf("err = %v, want libvirt's message alone", err)
	}
	if !IsNoDomain(err) {
		t.Errorf("IsNoDomain(%v) = false: the libvirt.Error must stay reachable", err)
	}
}

func TestUnreachableLibvirtIsAClearError(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := New("qemu+unix:///system?socket=/nonexistent/strata/libvirt-sock", quiet())
	defer c.Close()
	err := c.Do(func(*libvirt.Connect) error { t.Fatal("fn ran without a connection"); return nil })
	if err == nil || !strings.Contains(err.Error(), "unable to connect to libvirt at qemu+unix:///system") || strings.Contains(err.Error(), "virError(") {
		t.Fatalf("err = %v, want one naming the URI in plain words", err)
	}
	var uerr *UnavailableError
	if st := c.State(); st.Status != StatusDown || !errors.As(c.Err(), &uerr) ||
		!strings.Contains(c.Err().Error(), "libvirt is unavailable at qemu+unix:///system?socket=/nonexistent/strata/libvirt-sock since ") {
		t.Errorf("state %+v, Err %v", st, c.Err())
	}
}

// silentPeer accepts connections on a unix socket and never answers: a
// libvirtd frozen before the handshake.
func silentPeer(t *testing.T) (uri string, accepted func() int, hangUp func()) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "frozen.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	hangUp = func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
	accepted = func() int { mu.Lock(); defer mu.Unlock(); return len(conns) }
	return "qemu+unix:///system?socket=" + sock, accepted, hangUp
}

// A libvirtd that accepts but never answers: libvirt's own open blocks
// forever, so the call fails on the Go-side bound, and while that one
// attempt is stuck no second one is made: later calls fail at once.
func TestSilentPeerFailsWithinTheBound(t *testing.T) {
	defer goleak.VerifyNone(t)
	uri, accepted, hangUp := silentPeer(t)
	c := NewWithOptions(uri, Options{Logger: quiet(), CallTimeout: 300 * time.Millisecond})
	defer c.Close()
	defer hangUp() // runs first: frees the stuck open, so nothing leaks

	err := within(t, func() error {
		return c.Do(func(conn *libvirt.Connect) error { _, err := conn.GetLibVersion(); return err })
	})
	var terr *TimeoutError
	if !errors.As(err, &terr) || !strings.Contains(err.Error(), "libvirt did not answer within 300ms ("+uri+"): ") {
		t.Fatalf("err = %v, want a TimeoutError naming the bound and the URI", err)
	}
	// libvirt's client is still blocked in the handshake.
	time.Sleep(100 * time.Millisecond)
	if n := accepted(); n != 1 {
		t.Fatalf("%d connections reached the peer, want 1", n)
	}
	if c.Err() == nil {
		t.Fatalf("state %+v after a timed-out connection attempt, want down", c.State())
	}
	for range 3 {
		err = within(t, func() error { return c.Do(func(*libvirt.Connect) error { return nil }) })
		var uerr *UnavailableError
		if !errors.As(err, &uerr) || !strings.Contains(err.Error(), "libvirt did not answer within 300ms") {
			t.Fatalf("err = %v, want the outage, at once", err)
		}
	}
	if n := accepted(); n != 1 {
		t.Errorf("%d connection attempts while one is stuck, want 1", n)
	}
}

// A call that never returns is abandoned after the bound; after
// MaxAbandoned of them, calls are refused without reaching libvirt until
// one returns.
func TestAbandonedCallsAreBounded(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := NewWithOptions(DefaultURI, Options{Logger: quiet(), CallTimeout: 50 * time.Millisecond})
	defer c.Close()
	release := make(chan struct{})
	for i := range MaxAbandoned {
		_, err := Call(c, func(*libvirt.Connect) (int, error) { <-release; return i, nil })
		var terr *TimeoutError
		if !errors.As(err, &terr) {
			t.Fatalf("call %d: err = %v, want a timeout", i, err)
		}
	}
	err := c.Do(func(*libvirt.Connect) error { t.Error("ran past the bound"); return nil })
	if err == nil || !strings.Contains(err.Error(), "refusing new ones") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	close(release)
	within(t, func() error {
		for {
			if _, err := Call(c, libVersion); err == nil {
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	if st := c.State(); st.Status != StatusUp {
		t.Errorf("state %+v after libvirt answered again", st)
	}
}

// proxy forwards a unix socket to the system libvirtd and can freeze (stop
// forwarding, keep the sockets open) or cut every connection, so tests
// freeze "libvirtd" without touching the shared daemon.
type proxy struct {
	URI string

	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
	l      net.Listener
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the system libvirtd socket needs root")
	}
	if c, err := net.Dial("unix", systemSocket); err != nil {
		t.Skipf("no system libvirtd at %s: %v", systemSocket, err)
	} else {
		c.Close()
	}
	sock := filepath.Join(t.TempDir(), "proxy.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{URI: "qemu+unix:///system?socket=" + sock, l: l}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", systemSocket)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go p.pipe(in, out)
			go p.pipe(out, in)
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			return
		}
		p.mu.Lock()
		frozen := p.frozen
		p.mu.Unlock()
		if frozen {
			continue // swallowed: a frozen daemon reads nothing and answers nothing
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			src.Close()
			return
		}
	}
}

func (p *proxy) freeze() { p.mu.Lock(); p.frozen = true; p.mu.Unlock() }

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) close() { p.l.Close(); p.cut() }

// libvirtd goes away under an open connection (the proxy hangs up): the
// state says so at once, and the next call reconnects.
func TestReconnectsAfterLibvirtdHangsUp(t *testing.T) {
	p := newProxy(t)
	c := New(p.URI, quiet())
	defer c.Close()
	if _, err := Call(c, libVersion); err != nil {
		t.Fatal(err)
	}
	p.cut()
	within(t, func() bool {
		for c.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		return true
	})
	if !strings.Contains(c.Err().Error(), "libvirt closed the connection") {
		t.Errorf("Err = %v, want the close reason", c.Err())
	}
	if _, err := Call(c, libVersion); err != nil {
		t.Fatalf("call after libvirtd came back: %v", err)
	}
	if c.Err() != nil {
		t.Errorf("still down: %v", c.Err())
	}
}

// libvirtd freezes under an open connection: keepalive closes it and the
// blocked call returns, well before the (long) Go-side bound.
func TestKeepaliveBreaksAFrozenLibvirtd(t *testing.T) {
	p := newProxy(t)
	c := NewWithOptions(p.URI, Options{Logger: quiet(), CallTimeout: hangGuard / 2, KeepAliveInterval: time.Second, KeepAliveCount: 1})
	defer c.Close()
	if _, err := Call(c, libVersion); err != nil {
		t.Fatal(err)
	}
	p.freeze()
	if r := within(t, func() result[uint32] { v, err := Call(c, libVersion); return result[uint32]{v, err} }); r.err == nil {
		t.Fatal("a call on a frozen libvirtd succeeded")
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "keepalive") {
		t.Fatalf("after the freeze: Err = %v, want the connection closed by keepalive", err)
	}
}

// The same freeze without keepalive: the Go-side bound frees the caller.
func TestTimeoutFreesACallOnAFrozenLibvirtd(t *testing.T) {
	p := newProxy(t)
	c := NewWithOptions(p.URI, Options{Logger: quiet(), CallTimeout: 500 * time.Millisecond, KeepAliveInterval: -1})
	defer c.Close()
	if _, err := Call(c, libVersion); err != nil {
		t.Fatal(err)
	}
	p.freeze()
	err := within(t, func() result[uint32] { v, err := Call(c, libVersion); return result[uint32]{v, err} }).err
	var terr *TimeoutError
	var uerr *UnavailableError
	if !errors.As(err, &terr) && !errors.As(err, &uerr) {
		t.Fatalf("err = %v, want a timeout or the outage", err)
	}
	if c.Err() == nil {
		t.Errorf("state %+v, want down", c.State())
	}
}

func TestErrorClassifiers(t *testing.T) {
	noDomain := libvirt.Error{Code: libvirt.ERR_NO_DOMAIN, Domain: libvirt.FROM_QEMU, Message: "not found"}
	broken := libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Domain: libvirt.FROM_RPC, Message: "Broken pipe"}
	if !IsNoDomain(noDomain) || IsNoDomain(broken) || IsNoDomain(errors.New("x")) || !IsNoDomain(readable(noDomain)) {
		t.Error("IsNoDomain misclassifies")
	}
	if !IsConnectionError(broken) || IsConnectionError(noDomain) || IsConnectionError(errors.New("x")) || !IsConnectionError(readable(broken)) {
		t.Error("IsConnectionError misclassifies")
	}
}
