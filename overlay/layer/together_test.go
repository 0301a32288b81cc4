package layer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/strataagent/strata/overlay/excmd"
)

type otherBlock struct {
	Model string `json:"model"`
	N     []int  `json:"n,omitempty"`
}

var otherBlockKey = &Block[otherBlock]{Name: "u"}

// decodeBoth runs DecodeEx on ex decoded together and block by block.
func decodeBoth(t testing.TB, ex string) (together, alone *excmd.StartVmExCmd, errTogether, errAlone error) {
	t.Helper()
	layers := []Layer{{Name: "a", Ex: testBlockKey}, {Name: "b", Ex: otherBlockKey}}
	run := func(shared bool) (*excmd.StartVmExCmd, error) {
		cmd, err := excmd.Decode([]byte(`{"ex":` + ex + `}`))
		if err != nil {
			return nil, err
		}
		defer func(was bool) { setTogether(was) }(setTogether(shared))
		return cmd, DecodeEx(cmd, layers, nil)
	}
	together, errTogether = run(true)
	alone, errAlone = run(false)
	return
}

func setTogether(on bool) bool { was := together; together = on; return was }

func sameOutcome(t testing.TB, ex string) {
	t.Helper()
	a, b, ea, eb := decodeBoth(t, ex)
	if fmt.Sprint(ea) != fmt.Sprint(eb) {
		t.Fatalf("ex %s: together %v, block by block %v", ex, ea, eb)
	}
	if ea == nil && a != nil && !reflect.DeepEqual(a.Blocks, b.Blocks) {
		t.Fatalf("ex %s: together %#v, block by block %#v", ex, a.Blocks, b.Blocks)
	}
}

// TestDecodeTogether: the blocks decoded together give what they give one
// by one, values and errors alike (which block's error comes first, the
// key check before a type error).
func TestDecodeTogether(t *testing.T) {
	for _, ex := range []string{
		`{"t":{"size":1,"pins":[{"vcpu":0,"cpuset":"0"}],"tags":{"a":"b"}},"u":{"model":"x","n":[1,2]}}`,
		`{"t":null,"u":{"model":"x"}}`,
		`{"t":{"sise":1},"u":{"model":"x"}}`,
		`{"t":{"size":"2M"},"u":{"modl":"x"}}`,
		`{"t":{"size":1},"u":{"model":1}}`,
		`{"t":{"Size":1},"u":{"model":1}}`,
		`{"t":{"inner":{"b":1}},"u":{"n":["x"]}}`,
		`{"u":{"model":"x"},"t":{"size":1e400}}`,
		`{"t":[1],"u":{}}`,
		`{"t":{},"u":{},"v":{}}`,
	} {
		sameOutcome(t, ex)
	}
}

func FuzzDecodeTogether(f *testing.F) {
	f.Add(`{"size":1,"pins":[{"vcpu":0}]}`, `{"model":"x"}`)
	f.Add(`{"Size":1}`, `{"model":1}`)
	f.Add(`null`, `{"n":[1,"x"]}`)
	f.Fuzz(func(t *testing.T, tb, ub string) {
		if !json.Valid([]byte(tb)) || !json.Valid([]byte(ub)) {
			return
		}
		sameOutcome(t, `{"t":`+tb+`,"u":`+ub+`}`)
	})
}
