package ex

import (
	"context"

	"github.com/strataagent/strata/upstream/vm"
)

// Reboot starts a stopped domain.
func Reboot(ctx context.Context, v *vm.Vm) error { return v.Start(ctx) } // want "api-break: upstream/vm.\\(\\*Vm\\).Start: changed from"
