// Package start validates the stock command before it builds.
package start

import (
	"context"

	"github.com/strataagent/strata/upstream/vmplugin"
	"libvirt.org/go/libvirtxml"
)

// Start validates and builds. (Validate's body changed too: behavior-change
// on the same line is the other, real, finding.)
func Start(ctx context.Context, cmd *vmplugin.StartVmCmd) (*libvirtxml.Domain, error) {
	if err := cmd.Validate(); err != nil { // want "stock-acceptance: corpus case diskless, which the old release accepts, is refused by the new release's stock validate: old: accepted; new: rootPath: required \\(the case is no xml-overlap evidence\\)" "behavior-change: the body of upstream/vmplugin.\\(\\*StartVmCmd\\).Validate, which the overlay calls, changed"
		return nil, err
	}
	return vmplugin.Build(ctx, cmd, vmplugin.Config{DomainType: "kvm", Arch: "x86_64"}, vmplugin.OfflineHost{})
}
