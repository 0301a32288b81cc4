package vm

import "context"

// Vm is a domain.
type Vm struct{ UUID string }

// Start starts the domain.
func (v *Vm) Start(ctx context.Context) error { return nil }
