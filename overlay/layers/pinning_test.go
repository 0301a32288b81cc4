package layers_test

import (
	"fmt"
	"testing"

	"github.com/strataagent/strata/overlay/layers"
)

func TestPinning(t *testing.T) {
	ctx, err := applyLayer(t, layers.Pinning, errCase{ex: `{"pinning":{"vcpus":[{"vcpu":1,"cpuset":"2-3,^3"},{"vcpu":0,"cpuset":"0"}],"emulator":"0-1"}}`})
	if err != nil {
		t.Fatal(err)
	}
	ct := ctx.Domain.CPUTune
	if got := fmt.Sprint(ct.VCPUPin); got != "[{0 0} {1 2-3,^3}]" || ct.EmulatorPin.CPUSet != "0-1" || ct.Shares == nil {
		t.Errorf("cputune %s emulator %+v shares %v", got, ct.EmulatorPin, ct.Shares)
	}
	runErrCases(t, layers.Pinning, []errCase{
		{name: "empty", ex: `{"pinning":{}}`, want: `ex.pinning: empty: give vcpus or emulator`},
		{name: "vcpu too high", ex: `{"pinning":{"vcpus":[{"vcpu":2,"cpuset":"0"}]}}`, want: `ex.pinning.vcpus[0].vcpu: 2 is not below the VM's 2 vCPUs (cpuNum)`},
		{name: "negative", ex: `{"pinning":{"vcpus":[{"vcpu":-1,"cpuset":"0"}]}}`, want: `ex.pinning.vcpus[0].vcpu: -1 is negative`},
		{name: "twice", ex: `{"pinning":{"vcpus":[{"vcpu":0,"cpuset":"0"},{"vcpu":0,"cpuset":"1"}]}}`, want: `ex.pinning.vcpus[1].vcpu: vCPU 0 is pinned twice`},
		{name: "offline", ex: `{"pinning":{"vcpus":[{"vcpu":0,"cpuset":"0,5"}]}}`, want: `ex.pinning.vcpus[0].cpuset: CPU 5 is not online on this host (online: 0-3)`},
		{name: "syntax", ex: `{"pinning":{"vcpus":[{"vcpu":0,"cpuset":"0-"}]}}`, want: `ex.pinning.vcpus[0].cpuset: cpuset "0-": "" is not a CPU number (0 to 16383)`},
		// strconv reads "+1" as 1; libvirt's cpuset parser refuses it.
		{name: "plus sign", ex: `{"pinning":{"vcpus":[{"vcpu":0,"cpuset":"+1"}]}}`, want: `ex.pinning.vcpus[0].cpuset: cpuset "+1": "+1" is not a CPU number (0 to 16383)`},
		{name: "backwards", ex: `{"pinning":{"emulator":"3-1"}}`, want: `ex.pinning.emulator: cpuset "3-1": range 3-1 runs backwards`},
		{name: "nothing left", ex: `{"pinning":{"emulator":"1,^1"}}`, want: `ex.pinning.emulator: cpuset "1,^1" selects no CPU`},
		{name: "excluded range", ex: `{"pinning":{"emulator":"^0-1"}}`, want: `ex.pinning.emulator: cpuset "^0-1": an exclusion (^) takes one CPU, not a range`},
		{name: "empty cpuset", ex: `{"pinning":{"vcpus":[{"vcpu":0,"cpuset":""}]}}`, want: `ex.pinning.vcpus[0].cpuset: empty cpuset`},
		{name: "huge", ex: `{"pinning":{"emulator":"99999"}}`, want: `ex.pinning.emulator: cpuset "99999": CPU 99999 is above 16383`},
		{name: "host offline subset", ex: `{"pinning":{"emulator":"0-2"}}`, host: func(h *fakeHost) { h.online = []int{0, 1} },
			want: `ex.pinning.emulator: CPU 2 is not online on this host (online: 0-1)`},
	})
}

func TestCPUSetRoundTrip(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "0-3,^2": "0-1,3", "5,1-2,8-9": "1-2,5,8-9", " 1 , 3 ": "1,3"} {
		cpus, err := layers.ParseCPUSet(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := layers.FormatCPUSet(cpus); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}
