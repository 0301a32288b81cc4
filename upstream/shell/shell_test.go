package shell

import (
	"context"
	"errors"
	"fmt"
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

// TestSecretsMasked runs commands that carry a secret and fail in each way
// a command can (non-zero exit echoing its arguments, timeout, missing
// program) and checks the secret is in no text the error gives.
func TestSecretsMasked(t *testing.T) {
	const pw = "chap-Pw-7x"
	tests := []struct {
		name   string
		runner Runner
		argv   []string
	}{
		{"exit 1, argv echoed to stderr and stdout", Runner{}.WithSecrets(pw),
			[]string{"sh", "-c", `echo "out: $*"; echo "err: $*" >&2; exit 1`, "sh", "--value", pw}},
		{"secret inside a longer argument", Runner{}.WithSecrets(pw),
			[]string{"sh", "-c", `echo "$1" >&2; exit 3`, "sh", "--value=" + pw}},
		{"timeout", Runner{Timeout: 50 * time.Millisecond}.WithSecrets(pw),
			[]string{"sleep", "10", pw}},
		{"missing program", Runner{}.WithSecrets(pw),
			[]string{"/nonexistent/iscsiadm-" + pw, "--value", pw}},
		{"a secret that contains another", Runner{}.WithSecrets("Pw", pw),
			[]string{"sh", "-c", `echo "$1" >&2; exit 1`, "sh", pw}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.runner.Call(context.Background(), tc.argv...)
			if err == nil {
				t.Fatal("command succeeded, want a failure")
			}
			var serr *Error
			if !errors.As(err, &serr) {
				t.Fatalf("err = %T %v, want *Error", err, err)
			}
			texts := map[string]string{
				"Error()": err.Error(), "stdout returned": out, "Argv": strings.Join(serr.Argv, " "),
				"Stdout": serr.Stdout, "Stderr": serr.Stderr, "%+v": fmt.Sprintf("%+v", serr),
			}
			for name, s := range texts {
				if strings.Contains(s, "Pw") {
					t.Errorf("%s shows the secret: %s", name, s)
				}
			}
			if !strings.Contains(err.Error(), Masked) {
				t.Errorf("error %q does not show where the secret was", err)
			}
		})
	}
}

func TestWithSecretsCopies(t *testing.T) {
	base := Runner{Secrets: []string{"a"}}
	r1 := base.WithSecrets("b")
	r2 := base.WithSecrets("c")
	if got := strings.Join(r1.Secrets, ","); got != "a,b" {
		t.Errorf("r1.Secrets = %s", got)
	}
	if got := strings.Join(r2.Secrets, ","); got != "a,c" {
		t.Errorf("r2.Secrets = %s", got)
	}
	if len(base.Secrets) != 1 {
		t.Errorf("base changed: %q", base.Secrets)
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		in      string
		secrets []string
		want    string
	}{
		{"--value pw x", []string{"pw"}, "--value ***** x"},
		{"abcabc", []string{"abc", "abcabc"}, "*****"},
		{"keep", []string{""}, "keep"},
		{"keep", nil, "keep"},
	}
	for _, tc := range tests {
		if got := Mask(tc.in, tc.secrets...); got != tc.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", tc.in, tc.secrets, got, tc.want)
		}
	}
}
