package overlay

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/strataagent/strata/overlay/buildinfo"
	"github.com/strataagent/strata/upstream/hostplugin"
	"github.com/strataagent/strata/upstream/kvmagent"
)

func TestFactExCarriesVersion(t *testing.T) {
	stock := func(context.Context, *kvmagent.Request) (any, error) {
		return &hostplugin.FactResponse{AgentResponse: kvmagent.NewAgentResponse()}, nil
	}
	rsp, err := factEx(stock)(context.Background(), &kvmagent.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rsp.(kvmagent.Envelope); !ok {
		t.Fatal("the ex fact reply lost the stock envelope")
	}
	b, _ := json.Marshal(rsp)
	var got struct {
		Success bool
		Strata  buildinfo.Info
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Success || got.Strata.UpstreamRelease != buildinfo.UpstreamRelease || got.Strata.GoVersion == "" {
		t.Fatalf("reply %s", b)
	}
	failing := func(context.Context, *kvmagent.Request) (any, error) { return nil, errors.New("boom") }
	if rsp, err := factEx(failing)(context.Background(), &kvmagent.Request{}); rsp != nil || err == nil {
		t.Fatalf("failure changed: %v %v", rsp, err)
	}
}
