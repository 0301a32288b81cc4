// Package shell runs external programs for the agent, the way zstacklib's
// shell.py does, minus the shell: every command is an argv vector, so nothing
// a caller passes is ever parsed by /bin/sh.
package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// DefaultTimeout bounds a command when the caller's context has no deadline.
const DefaultTimeout = 5 * time.Minute

// Error is a command that could not run or exited non-zero (shell.py's ShellError).
type Error struct {
	Argv     []string
	ExitCode int // -1 when the program did not start or was killed
	Stdout   string
	Stderr   string
	Err      error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("failed to execute command %q, return code: %d", strings.Join(e.Argv, " "), e.ExitCode)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ", stderr: " + s
	}
	if e.Err != nil && e.ExitCode == -1 {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Runner runs commands. The zero value is ready to use with DefaultTimeout.
type Runner struct {
	Timeout time.Duration // per command; 0 means DefaultTimeout
}

// Result is what a finished command printed.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Call runs argv and returns its stdout; a non-zero exit is an *Error
// carrying stderr (shell.call).
func (r Runner) Call(ctx context.Context, argv ...string) (string, error) {
	res, err := r.Run(ctx, argv...)
	if err != nil {
		return res.Stdout, err
	}
	if res.ExitCode != 0 {
		return res.Stdout, &Error{Argv: argv, ExitCode: res.ExitCode, Stdout: res.Stdout, Stderr: res.Stderr}
	}
	return res.Stdout, nil
}

// Run runs argv and reports its exit code without treating non-zero as an
// error (shell.run). It fails only when the program cannot run or times out.
func (r Runner) Run(ctx context.Context, argv ...string) (Result, error) {
	if len(argv) == 0 || argv[0] == "" {
		return Result{ExitCode: -1}, &Error{Argv: argv, ExitCode: -1, Err: errors.New("empty command")}
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
	return res, &Error{Argv: argv, ExitCode: -1, Stdout: res.Stdout, Stderr: res.Stderr, Err: err}
}

// Call runs argv with the zero Runner.
func Call(ctx context.Context, argv ...string) (string, error) { return Runner{}.Call(ctx, argv...) }

// Run runs argv with the zero Runner.
func Run(ctx context.Context, argv ...string) (Result, error) { return Runner{}.Run(ctx, argv...) }
