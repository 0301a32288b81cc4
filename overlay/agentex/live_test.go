package agentex_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/agentex"
	"github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// TestGoldenLive runs the golden corpus through the live /ex/vm/start
// handler on libvirt's test driver and compares what it defined with the
// golden render: both go through libvirt (the live domain, and the golden
// XML defined alone), so the goldens are proved to be what the live path
// defines, not what a second assembly of the pipeline prints.
func TestGoldenLive(t *testing.T) {
	for _, c := range renderCases(t) {
		golden, err := os.ReadFile(filepath.Join("testdata", c.name+".xml"))
		if err != nil {
			continue // a refused case: no XML
		}
		t.Run(c.name, func(t *testing.T) {
			flags := pflag.NewFlagSet("t", pflag.ContinueOnError)
			if err := agent.AddFlags(flags, agentex.Settings()); err != nil {
				t.Fatal(err)
			}
			for k, v := range map[string]string{"config": c.config, "libvirt-uri": "test:///default", "ex-listen": "127.0.0.1:0", "listen": "127.0.0.1:0"} {
				if err := flags.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			snap, err := agentex.Load(flags, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, err := agentex.NewFromSnapshot(snap, agentex.Options{LayerHost: agentex.RenderHost{}})
			if err != nil {
				t.Fatal(err)
			}
			// The build answers from the command alone, as render's does
			// (the corpus's image paths do not exist here).
			a.VmPlugin().Host = agentex.OfflineTarget(snap.Stock).Host
			body, err := os.ReadFile(c.cmd)
			if err != nil {
				t.Fatal(err)
			}
			out, err := a.VmPlugin().StartVmEx(context.Background(), &kvmagent.Request{Body: body})
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			if rsp, ok := out.(*vmplugin.StartVmResponse); !ok || !rsp.Success {
				t.Fatalf("start answered %+v", out)
			}
			var live, want string
			err = a.Conn().Do(func(conn *libvirt.Connect) error {
				var d libvirtxml.Domain
				if err := d.Unmarshal(string(golden)); err != nil {
					return err
				}
				dom, err := conn.LookupDomainByUUIDString(d.UUID)
				if err != nil {
					return err
				}
				defer dom.Free()
				if err := dom.Destroy(); err != nil {
					return err
				}
				if live, err = dom.GetXMLDesc(0); err != nil {
					return err
				}
				if err := dom.Undefine(); err != nil {
					return err
				}
				ref, err := conn.DomainDefineXML(string(golden))
				if err != nil {
					return err
				}
				defer ref.Free()
				defer ref.Undefine()
				want, err = ref.GetXMLDesc(0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if live != want {
				t.Errorf("the live start defined other XML than the golden:\nlive:\n%s\ngolden:\n%s", live, want)
			}
		})
	}
}
