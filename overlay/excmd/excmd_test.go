package excmd

import (
	"os"
	"reflect"
	"testing"
)

func TestDecode(t *testing.T) {
	cmd, err := Decode([]byte(`{"vmInstanceUuid":"u1","cpuNum":2,"futureStockField":1,"ex":{"hugepages":{"size":2048},"tags":{"a":"b"},"pinning":{"vcpus":[{"vcpu":0,"cpuset":"0"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cmd.VMInstanceUUID != "u1" || cmd.CPUNum != 2 {
		t.Errorf("stock part: %+v", cmd.StartVmCmd)
	}
	want := &Ex{Hugepages: &Hugepages{Size: 2048}, Tags: map[string]string{"a": "b"}, Pinning: &Pinning{VCPUs: []VCPUPin{{VCPU: 0, CPUSet: "0"}}}}
	if !reflect.DeepEqual(cmd.Ex, want) {
		t.Errorf("ex %+v, want %+v", cmd.Ex, want)
	}
	for _, body := range []string{`{"vmInstanceUuid":"u1"}`, `{"vmInstanceUuid":"u1","ex":null}`} {
		cmd, err := Decode([]byte(body))
		if err != nil || cmd.Ex != nil {
			t.Errorf("%s: ex %+v, err %v", body, cmd.Ex, err)
		}
	}
	cmd, err = Decode([]byte(`{"ex":{}}`))
	if err != nil || cmd.Ex == nil || !reflect.DeepEqual(*cmd.Ex, Ex{}) {
		t.Errorf("empty ex: %+v, %v", cmd.Ex, err)
	}
}

func TestDecodeStockCorpus(t *testing.T) {
	// the stock part decodes as the stock agent decodes it
	body, err := os.ReadFile("../../upstream/vmplugin/testdata/kitchen_sink.json")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if cmd.VMInstanceUUID == "" || len(cmd.Nics) == 0 || cmd.Addons == nil {
		t.Errorf("stock fields lost: %+v", cmd.StartVmCmd)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"ex":{"hugepage":{}}}`, `ex.hugepage: unknown field`},
		{`{"ex":{"hugepages":{"sise":2048}}}`, `ex.hugepages.sise: unknown field`},
		{`{"ex":{"Hugepages":{}}}`, `ex.Hugepages: unknown field`},
		{`{"ex":{"pinning":{"vcpus":[{"vcpu":0,"cpuset":"0"},{"cpu":1}]}}}`, `ex.pinning.vcpus[1].cpu: unknown field`},
		{`{"ex":{"rng":{"rate":{"bytes":1,"burst":2}}}}`, `ex.rng.rate.burst: unknown field`},
		{`{"ex":{"hugepages":{"size":"2M"}}}`, `ex.hugepages.size: cannot use a JSON string as uint64: json: cannot unmarshal string into Go struct field Hugepages.hugepages.size of type uint64`},
		{`{"ex":{"tags":{"a":1}}}`, `ex.tags: cannot use a JSON number as string: json: cannot unmarshal number into Go struct field Ex.tags of type string`},
		{`{"ex":[]}`, `ex: json: cannot unmarshal array into Go value of type excmd.Ex`},
		{`{"ex":{"qemuArgs":"-S"}}`, `ex.qemuArgs: cannot use a JSON string as []string: json: cannot unmarshal string into Go struct field Ex.qemuArgs of type []string`},
	} {
		_, err := Decode([]byte(c.body))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.body, err, c.want)
		}
	}
}
