package ex

import (
	"context"

	"github.com/strataagent/strata/upstream/vm"
)

// Start starts a domain.
func Start(ctx context.Context, v *vm.Vm) error {
	return v.Start(ctx)
}

// Restart starts it again after a failure.
func Restart(ctx context.Context, v *vm.Vm) error {
	if err := v.Start(ctx); err != nil {
		return v.Start(ctx)
	}
	return nil
}
