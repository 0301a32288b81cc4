package excmd

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	cmd, err := Decode([]byte(`{"vmInstanceUuid":"u1","cpuNum":2,"futureStockField":1,"ex":{"hugepages":{"size":2048},"tags":{"a":"b"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cmd.VMInstanceUUID != "u1" || cmd.CPUNum != 2 {
		t.Errorf("stock part: %+v", cmd.StartVmCmd)
	}
	if len(cmd.Raw) != 2 || string(cmd.Raw["hugepages"]) != `{"size":2048}` || string(cmd.Raw["tags"]) != `{"a":"b"}` {
		t.Errorf("raw ex %v", cmd.Raw)
	}
	for _, body := range []string{`{"vmInstanceUuid":"u1"}`, `{"vmInstanceUuid":"u1","ex":null}`} {
		cmd, err := Decode([]byte(body))
		if err != nil || cmd.Raw != nil {
			t.Errorf("%s: ex %+v, err %v", body, cmd.Raw, err)
		}
	}
	cmd, err = Decode([]byte(`{"ex":{}}`))
	if err != nil || cmd.Raw == nil || len(cmd.Raw) != 0 {
		t.Errorf("empty ex: %+v, %v", cmd.Raw, err)
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
	many := map[string]int{}
	for i := range MaxExKeys + 1 {
		many["k"+strings.Repeat("x", i)] = i
	}
	manyJSON, _ := json.Marshal(map[string]any{"ex": many})
	huge, _ := json.Marshal(map[string]any{"ex": map[string]string{"tags": strings.Repeat("x", MaxExBytes)}})
	for _, c := range []struct{ body, want string }{
		{`{"ex":[]}`, `ex: must be a JSON object of layer blocks`},
		{`{"ex":"x"}`, `ex: must be a JSON object of layer blocks`},
		{string(manyJSON), `ex: 65 keys is more than the 64 an ex block may have`},
		{string(huge), `ex: 262155 bytes is more than the 262144 an ex block may have`},
	} {
		_, err := Decode([]byte(c.body))
		if err == nil || err.Error() != c.want {
			t.Errorf("%.60s:\n got %v\nwant %s", c.body, err, c.want)
		}
	}
}
