package layers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/strataagent/strata/overlay/domaintest"
	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// fakeHost answers layer.Host from fields, as a host with CPUs 0-3, 4096
// free 2 MiB pages, no 1 GiB pages, Debian's OVMF and no /dev/vhost-net.
type fakeHost struct {
	online    []int
	onlineErr error
	free      map[uint64]uint64
	freeErr   error
	ovmfErr   error
	vhost     bool
}

func newFakeHost() *fakeHost {
	return &fakeHost{online: []int{0, 1, 2, 3}, free: map[uint64]uint64{2048: 4096}}
}

func (h *fakeHost) OnlineCPUs() ([]int, error) { return h.online, h.onlineErr }

func (h *fakeHost) FreeHugepages(size uint64) (uint64, error) {
	if h.freeErr != nil {
		return 0, h.freeErr
	}
	return h.free[size], nil
}

func (h *fakeHost) OVMF(secure bool) (string, string, error) {
	if h.ovmfErr != nil {
		return "", "", h.ovmfErr
	}
	if secure {
		return "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", nil
	}
	return "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", nil
}

func (h *fakeHost) HasVhostNet() bool { return h.vhost }

var _ layer.Host = (*fakeHost)(nil)

var errNoOVMF = errors.New("no firmware descriptor under /usr/share/qemu/firmware")

// buildHost is the stock builder's host of the layers' goldens.
var buildHost = domaintest.BuildHost{Emulator: "/usr/libexec/qemu-kvm"}

// stockContext builds the stock domain of cmd and a layer context over it.
func stockContext(cmd *excmd.StartVmExCmd, cfg vmplugin.Config) (*layer.Context, error) {
	if cfg.DomainType == "" {
		cfg.DomainType = "kvm"
	}
	if cfg.Arch == "" {
		cfg.Arch = vmplugin.ArchX86_64
	}
	d, err := vmplugin.Build(context.Background(), &cmd.StartVmCmd, cfg, buildHost)
	if err != nil {
		return nil, fmt.Errorf("stock build: %w", err)
	}
	return &layer.Context{Ctx: context.Background(), Cmd: cmd, Domain: d, Host: newFakeHost(), Config: layer.Config{NVRAMDir: "/var/lib/libvirt/qemu/nvram"}}, nil
}

// decodeEx decodes and validates cmd's ex blocks as a start does first.
func decodeEx(ctx *layer.Context) error {
	return layer.DecodeEx(ctx.Cmd, layers.Order, &layer.Check{Host: ctx.Host, Config: ctx.Config})
}

// errCase is one bad value and its exact error text.
type errCase struct {
	name string
	ex   string // the ex block, JSON
	base string // stock command under upstream/vmplugin/testdata; "" is mn_example_a
	host func(*fakeHost)
	cfg  func(*layer.Config)
	want string
}

// applyLayer builds the stock domain of base with ex and runs l alone.
func applyLayer(t *testing.T, l layer.Layer, c errCase) (*layer.Context, error) {
	t.Helper()
	base := c.base
	if base == "" {
		base = "mn_example_a"
	}
	body, err := os.ReadFile("../../upstream/vmplugin/testdata/" + base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := excmd.Decode(withEx(t, body, c.ex))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	ctx, err := stockContext(cmd, vmplugin.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.host != nil {
		c.host(ctx.Host.(*fakeHost))
	}
	if c.cfg != nil {
		c.cfg(&ctx.Config)
	}
	if err := decodeEx(ctx); err != nil {
		return ctx, err // refused before anything is touched
	}
	if _, ok := ctx.Cmd.Blocks[l.Ex.Key()]; !ok || (l.Applies != nil && !l.Applies(ctx)) {
		t.Fatalf("layer %s does not apply to ex %s", l.Name, c.ex)
	}
	return ctx, l.Apply(ctx)
}

func runErrCases(t *testing.T, l layer.Layer, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := applyLayer(t, l, c)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if err.Error() != c.want {
				t.Errorf("error\n got %q\nwant %q", err, c.want)
			}
		})
	}
}
