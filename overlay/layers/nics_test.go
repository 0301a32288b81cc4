package layers_test

import (
	"testing"

	"github.com/strataagent/strata/overlay/layers"
)

func TestNicMultiqueue(t *testing.T) {
	ctx, err := applyLayer(t, layers.NicMultiqueue, errCase{base: "kitchen_sink", ex: `{"nics":{"queues":8,"macs":["FA:3E:7A:9C:42:01"]}}`})
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ctx.Domain.Devices.Interfaces {
		changed := ifc.Driver != nil
		if want := ifc.MAC.Address == "fa:3e:7a:9c:42:01"; changed != want {
			t.Errorf("%s: driver %+v", ifc.MAC.Address, ifc.Driver)
		} else if changed && (ifc.Driver.Name != "qemu" || ifc.Driver.Queues != 8) {
			t.Errorf("%s: driver %+v", ifc.MAC.Address, ifc.Driver)
		}
	}
	ctx, err = applyLayer(t, layers.NicMultiqueue, errCase{base: "kitchen_sink", ex: `{"nics":{"driver":"vhost"}}`, host: func(h *fakeHost) { h.vhost = true }})
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ctx.Domain.Devices.Interfaces {
		if ifc.Driver == nil || ifc.Driver.Name != "vhost" || ifc.Driver.Queues != 0 {
			t.Errorf("%s: driver %+v", ifc.MAC.Address, ifc.Driver)
		}
	}
	runErrCases(t, layers.NicMultiqueue, []errCase{
		{name: "vhost missing", ex: `{"nics":{"driver":"vhost"}}`, want: `ex.nics.driver: vhost needs /dev/vhost-net, which this host lacks`},
		{name: "driver", ex: `{"nics":{"driver":"vfio"}}`, want: `ex.nics.driver: "vfio": want "qemu" or "vhost"`},
		{name: "queues above 256", ex: `{"nics":{"queues":257}}`, want: `ex.nics.queues: 257 is above 256 (Linux's MAX_TAP_QUEUES)`},
		{name: "queues above vcpus", ex: `{"nics":{"queues":3}}`, want: `ex.nics.queues: 3 is more than the VM's 2 vCPUs (cpuNum)`},
		{name: "bad mac", ex: `{"nics":{"queues":2,"macs":["fa:3e"]}}`, want: `ex.nics.macs[0]: "fa:3e" is not a MAC address`},
		{name: "unknown mac", ex: `{"nics":{"queues":2,"macs":["fa:3e:7a:9c:41:99"]}}`, want: `ex.nics.macs[0]: no interface with mac fa:3e:7a:9c:41:99`},
		{name: "not virtio", base: "qos_nics", ex: `{"nics":{"queues":1}}`, want: `ex.nics: the VM has no virtio interface`},
	})
}
