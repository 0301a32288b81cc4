package virtconn

import (
	"errors"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

func TestGetAndReuse(t *testing.T) {
	c := New("", nil)
	defer c.Close()
	if c.URI() != DefaultURI {
		t.Fatalf("URI = %q, want %q", c.URI(), DefaultURI)
	}
	a, err := c.Get()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Get()
	if err != nil || a != b {
		t.Fatalf("second Get = %p, %v; want the same open connection %p", b, err, a)
	}
}

func TestReconnectsAfterTheConnectionDies(t *testing.T) {
	c := New(DefaultURI, nil)
	defer c.Close()
	first, err := c.Get()
	if err != nil {
		t.Fatal(err)
	}
	first.Close() // what libvirtd going away looks like from here
	calls := 0
	err = c.Do(func(conn *libvirt.Connect) error {
		calls++
		_, err := conn.GetLibVersion()
		return err
	})
	if err != nil {
		t.Fatalf("Do after the connection died: %v", err)
	}
	if calls != 1 {
		t.Errorf("fn ran %d times, want 1 (Get found the dead connection first)", calls)
	}
}

func TestUnreachableLibvirtIsAClearError(t *testing.T) {
	c := New("qemu+unix:///system?socket=/nonexistent/strata/libvirt-sock", nil)
	err := c.Do(func(*libvirt.Connect) error { t.Fatal("fn ran without a connection"); return nil })
	if err == nil || !strings.Contains(err.Error(), "unable to connect to libvirt at qemu+unix:///system") {
		t.Fatalf("err = %v, want one naming the URI", err)
	}
}

func TestErrorClassifiers(t *testing.T) {
	noDomain := libvirt.Error{Code: libvirt.ERR_NO_DOMAIN, Domain: libvirt.FROM_QEMU, Message: "not found"}
	broken := libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Domain: libvirt.FROM_RPC, Message: "Broken pipe"}
	if !IsNoDomain(noDomain) || IsNoDomain(broken) || IsNoDomain(errors.New("x")) {
		t.Error("IsNoDomain misclassifies")
	}
	if !IsConnectionError(broken) || IsConnectionError(noDomain) || IsConnectionError(errors.New("x")) {
		t.Error("IsConnectionError misclassifies")
	}
}
