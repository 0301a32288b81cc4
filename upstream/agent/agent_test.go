package agent

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The agent listens before libvirt answers: with a libvirtd that accepts
// and never answers, echo still works and connect reports the outage.
func TestListensWhileLibvirtIsFrozen(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "frozen.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() { // frees libvirt's blocked handshake
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()

	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.LibvirtURI = "qemu+unix:///system?socket=" + sock
	cfg.LibvirtCallTimeout = 300 * time.Millisecond
	a, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()

	post := func(path, body string) (int, string) {
		t.Helper()
		rsp, err := http.Post("http://"+addr.String()+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer rsp.Body.Close()
		b, _ := io.ReadAll(rsp.Body)
		return rsp.StatusCode, string(b)
	}
	if code, body := post("/host/echo", ""); code != http.StatusOK {
		t.Fatalf("echo: %d %s", code, body)
	}
	code, body := post("/host/connect", `{"hostUuid":"5d2ac5b4d5d84c7e9d3b3e6f3f0c1a2b","sendCommandUrl":"http://127.0.0.1:8080/x","iptablesRules":[]}`)
	var rsp struct {
		Success bool   `json:"success"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &rsp); err != nil || code != http.StatusOK {
		t.Fatalf("connect: %d %s", code, body)
	}
	if rsp.Success || !strings.Contains(rsp.Error, "libvirt is unavailable at "+cfg.LibvirtURI) || !strings.Contains(rsp.Error, "did not answer within 300ms") {
		t.Errorf("connect = %s, want the outage", body)
	}
	if a.HostPlugin() == nil || a.VmPlugin() == nil || a.Conn() == nil || a.Server() == nil {
		t.Error("an accessor returned nil")
	}
}
