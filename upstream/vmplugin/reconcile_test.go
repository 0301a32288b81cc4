package vmplugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/virtconn"
)

// TestReconcile: after an abandoned define+create (a *virtconn.TimeoutError
// whose call has returned), the answer matches the domain's real state on
// test:///default: success when it runs; otherwise the failure, with the
// domain destroyed and undefined. The "abandoned call" here is the test's
// own define (and create), done before Reconcile looks, as a call that went
// on inside libvirt would have done it.
func TestReconcile(t *testing.T) {
	returned := make(chan struct{})
	close(returned)
	abandoned := &virtconn.TimeoutError{URI: "test:///default", What: "the call was abandoned", Returned: returned}
	tests := []struct {
		name           string
		uuid           string
		define, create bool
		err            error
		wantErr        string // "" for success
		wantDefined    bool
	}{
		{"abandoned, vm runs", "dd0000000000000000000000000000a1", true, true, abandoned, "", true},
		{"abandoned, vm defined, not running", "dd0000000000000000000000000000a2", true, false, abandoned,
			"was not running after the abandoned call returned: destroyed and undefined", false},
		{"abandoned, no vm", "dd0000000000000000000000000000a3", false, false, abandoned,
			"is not defined after the abandoned call", false},
		{"abandoned and wrapped, vm runs", "dd0000000000000000000000000000a4", true, true, fmt.Errorf("start: %w", abandoned), "", true},
		{"another error", "dd0000000000000000000000000000a5", true, false, errors.New("no space"), "no space", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPlugin(t, newFakeHost(), tc.uuid)
			cmd := cmdWith(func(c *StartVmCmd) { c.VMInstanceUUID = tc.uuid })
			vm, err := p.FromStartVmCmd(context.Background(), cmd)
			if err != nil {
				t.Fatal(err)
			}
			if tc.define {
				if err := p.Conn.Do(func(c *libvirt.Connect) error {
					dom, err := c.DomainDefineXML(vm.DomainXML)
					if err != nil {
						return err
					}
					defer dom.Free()
					if tc.create {
						return dom.Create()
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			got := vm.Reconcile(context.Background(), tc.err)
			switch {
			case tc.wantErr == "" && got != nil:
				t.Errorf("Reconcile: %v, want success", got)
			case tc.wantErr != "" && (got == nil || !strings.Contains(got.Error(), tc.wantErr)):
				t.Errorf("Reconcile: %v, want an error containing %q", got, tc.wantErr)
			case tc.wantErr != "" && !errors.Is(got, tc.err):
				t.Errorf("Reconcile: %v does not wrap the start's error", got)
			}
			if d := domainDefined(t, p, tc.uuid); d != tc.wantDefined {
				t.Errorf("domain defined: %v, want %v", d, tc.wantDefined)
			}
		})
	}
}
