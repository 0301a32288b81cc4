package declarative

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// stockCmd reads a stock start command from upstream's golden corpus.
func stockCmd(t testing.TB, name string) *excmd.StartVmExCmd {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "upstream", "vmplugin", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := &excmd.StartVmExCmd{}
	if err := json.Unmarshal(b, &cmd.StartVmCmd); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cmd
}

// stockDomain builds the stock domain of a corpus command offline.
func stockDomain(t testing.TB, cmd *excmd.StartVmExCmd) *libvirtxml.Domain {
	t.Helper()
	d, err := vmplugin.Build(context.Background(), &cmd.StartVmCmd, vmplugin.Config{DomainType: "kvm", Arch: vmplugin.ArchX86_64}, vmplugin.OfflineHost{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mustEntry provisions and validates e, failing the test on error.
func mustEntry(t testing.TB, e Entry) Entry {
	t.Helper()
	if err := e.Provision(); err != nil {
		t.Fatalf("provision %q: %v", e.Name, err)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("validate %q: %v", e.Name, err)
	}
	return e
}

// run applies one entry's layer to the stock domain of cmd and returns the XML.
func run(t testing.TB, e Entry, cmd *excmd.StartVmExCmd) (string, error) {
	t.Helper()
	d := stockDomain(t, cmd)
	l := e.Layer()
	c := &layer.Context{Ctx: context.Background(), Cmd: cmd, Domain: d}
	if l.Applies != nil && !l.Applies(c) {
		t.Fatalf("layer %q does not apply to %s", e.Name, cmd.VMName)
	}
	if err := l.Apply(c); err != nil {
		return "", err
	}
	x, err := vmplugin.MarshalDomain(d)
	if err != nil {
		t.Fatal(err)
	}
	return x, nil
}
