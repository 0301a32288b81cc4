package admin

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	down := errors.New("qemu:///system down")
	tests := []struct {
		name     string
		url      string
		checks   []Check
		wantCode int
		want     string
	}{
		{"livez", "/livez", nil, 200, "ok"},
		{"livez verbose", "/livez?verbose", nil, 200, "[+]ping ok\nlivez check passed\n"},
		{"ready", "/readyz", []Check{{"libvirt", func() error { return nil }}}, 200, "ok"},
		{"ready verbose", "/readyz?verbose", []Check{{"libvirt", func() error { return nil }}, {"config", func() error { return nil }}}, 200,
			"[+]libvirt ok\n[+]config ok\nreadyz check passed\n"},
		{"not ready lists every check", "/readyz", []Check{{"libvirt", func() error { return down }}, {"config", func() error { return nil }}}, 500,
			"[-]libvirt failed: qemu:///system down\n[+]config ok\nreadyz check failed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Handler(Options{Ready: tc.checks, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.url, nil))
			if rec.Code != tc.wantCode || rec.Body.String() != tc.want {
				t.Errorf("%s: %d %q, want %d %q", tc.url, rec.Code, rec.Body.String(), tc.wantCode, tc.want)
			}
		})
	}
}

func TestReloadAnswers(t *testing.T) {
	for _, tc := range []struct {
		res      ReloadResult
		wantCode int
		want     string
	}{
		{ReloadResult{Applied: true, Generation: 3, Added: []string{"a"}}, 200, `"generation":3,"added":["a"]`},
		{ReloadResult{Generation: 2, Error: "agent.yaml:4: layers.declarative[0].after"}, 422, `"error":"agent.yaml:4: layers.declarative[0].after"`},
	} {
		h := Handler(Options{Reload: func() ReloadResult { return tc.res }})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/reload", nil))
		if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%d %s", rec.Code, rec.Body.String())
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/reload", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET /reload: %d", rec.Code)
		}
	}
}
