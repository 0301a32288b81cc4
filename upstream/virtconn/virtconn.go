// Package virtconn holds the agent's one libvirt connection (vm_plugin's
// LibvirtAutoReconnect). The 2018 agent exited when libvirtd went away; this
// one reports a clear error for the call that failed and opens a new
// connection on the next call, so it recovers by itself when libvirtd is back.
package virtconn

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"libvirt.org/go/libvirt"
)

// DefaultURI is libvirt's embedded test driver: no daemon needed.
const DefaultURI = "test:///default"

// Conn is a lazily opened, self-healing libvirt connection, safe for
// concurrent use.
type Conn struct {
	uri string
	log *slog.Logger

	mu   sync.Mutex
	conn *libvirt.Connect
}

// New returns a Conn for uri; nothing is opened until first use.
func New(uri string, log *slog.Logger) *Conn {
	if uri == "" {
		uri = DefaultURI
	}
	if log == nil {
		log = slog.Default()
	}
	return &Conn{uri: uri, log: log}
}

// URI is the libvirt URI this Conn opens.
func (c *Conn) URI() string { return c.uri }

// Get returns an open connection, opening a new one if there is none or the
// old one is dead.
func (c *Conn) Get() (*libvirt.Connect, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		if alive, err := c.conn.IsAlive(); err == nil && alive {
			return c.conn, nil
		}
		c.log.Warn("libvirt connection lost, reconnecting", "uri", c.uri)
		c.conn.Close()
		c.conn = nil
	}
	conn, err := libvirt.NewConnect(c.uri)
	if err != nil {
		return nil, fmt.Errorf("unable to connect to libvirt at %s: %w", c.uri, err)
	}
	c.conn = conn
	return conn, nil
}

// Do runs fn on an open connection. If fn fails because the connection
// broke (libvirtd restarted), Do reconnects and runs fn once more.
func (c *Conn) Do(fn func(*libvirt.Connect) error) error {
	conn, err := c.Get()
	if err != nil {
		return err
	}
	err = fn(conn)
	if err == nil || !IsConnectionError(err) {
		return err
	}
	c.drop(conn)
	conn, gerr := c.Get()
	if gerr != nil {
		return fmt.Errorf("%w (reconnect failed: %v)", err, gerr)
	}
	return fn(conn)
}

func (c *Conn) drop(conn *libvirt.Connect) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == conn {
		c.conn.Close()
		c.conn = nil
	}
}

// Close closes the connection if one is open.
func (c *Conn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
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
