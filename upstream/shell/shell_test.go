package shell

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCall(t *testing.T) {
	tests := []struct {
		name       string
		runner     Runner
		argv       []string
		wantOut    string
		wantErr    []string // substrings of the error; nil means success
		wantExit   int
		wantDeadln bool
	}{
		{name: "stdout", argv: []string{"echo", "hello"}, wantOut: "hello\n"},
		{name: "arguments are not parsed by a shell", argv: []string{"echo", "a;b", "$(id)", "`x`"}, wantOut: "a;b $(id) `x`\n"},
		{name: "non-zero exit carries stderr", argv: []string{"ls", "/nonexistent-strata-path"}, wantErr: []string{"return code: 2", "nonexistent-strata-path", "ls /nonexistent-strata-path"}, wantExit: 2},
		{name: "missing program", argv: []string{"/nonexistent/strata-binary"}, wantErr: []string{"return code: -1", "strata-binary"}, wantExit: -1},
		{name: "empty argv", argv: nil, wantErr: []string{"empty command"}, wantExit: -1},
		{name: "timeout", runner: Runner{Timeout: 50 * time.Millisecond}, argv: []string{"sleep", "10"}, wantErr: []string{"deadline exceeded"}, wantExit: -1, wantDeadln: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.runner.Call(context.Background(), tt.argv...)
			if tt.wantErr == nil {
				if err != nil || out != tt.wantOut {
					t.Fatalf("Call = %q, %v; want %q", out, err, tt.wantOut)
				}
				return
			}
			var serr *Error
			if !errors.As(err, &serr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if serr.ExitCode != tt.wantExit {
				t.Errorf("exit code %d, want %d", serr.ExitCode, tt.wantExit)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.wantDeadln != errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("errors.Is(DeadlineExceeded) = %v", !tt.wantDeadln)
			}
		})
	}
}

func TestRunReportsExitWithoutError(t *testing.T) {
	res, err := Run(context.Background(), "false")
	if err != nil || res.ExitCode != 1 {
		t.Fatalf("Run(false) = %+v, %v; want exit 1 and no error", res, err)
	}
}
