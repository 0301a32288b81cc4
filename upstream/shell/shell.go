// Package shell runs external programs for the agent, the way zstacklib's
// shell.py does, minus the shell: every command is an argv vector, so nothing
// a caller passes is ever parsed by /bin/sh.
//
// A caller that puts a secret in a command line (iscsiadm's CHAP password)
// names it in Runner.Secrets: errors then show it as Masked wherever it
// appears, in the argv, the program's output or the cause, so the text can
// go to logs and replies. shell.py logged such command lines verbatim.
package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// DefaultTimeout bounds a command when the caller's context has no deadline.
const DefaultTimeout = 5 * time.Minute

// Masked replaces a secret in errors.
const Masked = "*****"

// Error is a command that could not run or exited non-zero (shell.py's ShellError).
// Argv, Stdout and Stderr have the runner's secrets masked already.
type Error struct {
	Argv     []string
	ExitCode int // -1 when the program did not start or was killed
	Stdout   string
	Stderr   string
	Err      error

	secrets []string // masked in Err's text too, which Error() includes
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("failed to execute command %q, return code: %d", strings.Join(e.Argv, " "), e.ExitCode)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ", stderr: " + s
	}
	if e.Err != nil && e.ExitCode == -1 {
		msg += ": " + Mask(e.Err.Error(), e.secrets...)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Runner runs commands. The zero value is ready to use with DefaultTimeout.
type Runner struct {
	Timeout time.Duration // per command; 0 means DefaultTimeout
	// Secrets are strings the commands carry that no error may show: each
	// is replaced by Masked, also inside a longer argument (--value=pw).
	Secrets []string
}

// WithSecrets returns a copy of r that also masks secrets; empty ones are
// ignored. r itself is not changed.
func (r Runner) WithSecrets(secrets ...string) Runner {
	r.Secrets = append(append([]string(nil), r.Secrets...), secrets...)
	return r
}

// Mask returns s with every secret replaced by Masked, longest first so a
// secret that contains another is not left half visible.
func Mask(s string, secrets ...string) string {
	ordered := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		if sec != "" {
			ordered = append(ordered, sec)
		}
	}
	slices.SortFunc(ordered, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range ordered {
		s = strings.ReplaceAll(s, sec, Masked)
	}
	return s
}

// newError builds an *Error with r's secrets masked in every field a
// caller might print.
func (r Runner) newError(argv []string, exit int, stdout, stderr string, err error) *Error {
	masked := make([]string, len(argv))
	for i, a := range argv {
		masked[i] = Mask(a, r.Secrets...)
	}
	return &Error{
		Argv: masked, ExitCode: exit,
		Stdout: Mask(stdout, r.Secrets...), Stderr: Mask(stderr, r.Secrets...),
		Err: err, secrets: r.Secrets,
	}
}

// Result is what a finished command printed.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Call runs argv and returns its stdout; a non-zero exit is an *Error
// carrying stderr (shell.call). The stdout of a failed command comes back
// masked, like the error.
func (r Runner) Call(ctx context.Context, argv ...string) (string, error) {
	res, err := r.Run(ctx, argv...)
	if err != nil {
		return Mask(res.Stdout, r.Secrets...), err
	}
	if res.ExitCode != 0 {
		return Mask(res.Stdout, r.Secrets...), r.newError(argv, res.ExitCode, res.Stdout, res.Stderr, nil)
	}
	return res.Stdout, nil
}

// Run runs argv and reports its exit code without treating non-zero as an
// error (shell.run). It fails only when the program cannot run or times out.
func (r Runner) Run(ctx context.Context, argv ...string) (Result, error) {
	if len(argv) == 0 || argv[0] == "" {
		return Result{ExitCode: -1}, r.newError(argv, -1, "", "", errors.New("empty command"))
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if err == nil {
		return res, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && ctx.Err() == nil {
		res.ExitCode = exitErr.ExitCode()
		return res, nil
	}
	res.ExitCode = -1
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (after %s)", ctx.Err(), timeout)
	}
	return res, r.newError(argv, -1, res.Stdout, res.Stderr, err)
}

// Call runs argv with the zero Runner.
func Call(ctx context.Context, argv ...string) (string, error) { return Runner{}.Call(ctx, argv...) }

// Run runs argv with the zero Runner.
func Run(ctx context.Context, argv ...string) (Result, error) { return Runner{}.Run(ctx, argv...) }
