package start_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/domaintest"
	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
	"github.com/strataagent/strata/overlay/start"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// buildHost is deterministic: formats from the extension, a fixed emulator.
var buildHost = domaintest.BuildHost{Emulator: "/usr/bin/qemu-system-x86_64"}

type layerHost struct{}

func (layerHost) OnlineCPUs() ([]int, error)           { return []int{0, 1, 2, 3}, nil }
func (layerHost) FreeHugepages(uint64) (uint64, error) { return 1 << 20, nil }
func (layerHost) OVMF(bool) (string, string, error)    { return "/c.fd", "/v.fd", nil }
func (layerHost) HasVhostNet() bool                    { return true }

// recorder is a Target that records which steps ran, over the offline one.
type recorder struct {
	start.Offline
	steps []string
}

func (r *recorder) ValidateStock(ctx context.Context, cmd *vmplugin.StartVmCmd) error {
	r.steps = append(r.steps, "validate-stock")
	return r.Offline.ValidateStock(ctx, cmd)
}

func (r *recorder) Lock(uuid string) func() {
	r.steps = append(r.steps, "lock")
	return func() { r.steps = append(r.steps, "unlock") }
}

func (r *recorder) Begin(ctx context.Context, cmd *excmd.StartVmExCmd) (start.Attempt, error) {
	r.steps = append(r.steps, "begin")
	at, err := r.Offline.Begin(ctx, cmd)
	return &recordedAttempt{Attempt: at, r: r}, err
}

type recordedAttempt struct {
	start.Attempt
	r    *recorder
	fail error
}

func (a *recordedAttempt) Build(ctx context.Context) (*libvirtxml.Domain, string, error) {
	a.r.steps = append(a.r.steps, "build")
	return a.Attempt.Build(ctx)
}

func (a *recordedAttempt) Launch(ctx context.Context, d *libvirtxml.Domain, x string) error {
	a.r.steps = append(a.r.steps, "launch")
	return a.fail
}

func (a *recordedAttempt) Finish(err error) error {
	a.r.steps = append(a.r.steps, "finish")
	return err
}

func target() *recorder {
	return &recorder{Offline: start.Offline{Config: vmplugin.Config{DomainType: "kvm", Arch: vmplugin.ArchX86_64}, Host: buildHost, Layer: layerHost{}}}
}

func stockBody(t testing.TB, ex string) []byte {
	t.Helper()
	body, err := os.ReadFile("../../upstream/vmplugin/testdata/mn_example_a.json")
	if err != nil {
		t.Fatal(err)
	}
	if ex == "" {
		return body
	}
	return []byte(`{"ex":` + ex + `,` + strings.TrimPrefix(strings.TrimSpace(string(body)), "{"))
}

// allowAll is the overlay's own layers: the vendor fixes, which apply
// wherever a release's stock XML needs them, have their own tests.
var allowAll = start.Layers{Order: layers.Order[len(layers.VendorFixes):], Config: layer.Config{QemuArgsAllow: []string{"-global .*"}, NVRAMDir: "/var/lib/libvirt/qemu/nvram"}}

// TestRefusedTouchesNothing: a request refused for its stock fields, an ex
// typo or a bad ex value stops before the VM's lock, the clearing of a
// stopped VM (Begin) and the build (iSCSI logins, secrets): only the one
// stock validation ran.
func TestRefusedTouchesNothing(t *testing.T) {
	for _, tc := range []struct{ name, ex, want string }{
		{"ex typo", `{"hugepage":{}}`, "ex.hugepage: unknown field"},
		{"nested typo", `{"hugepages":{"sise":2048}}`, "ex.hugepages.sise: unknown field"},
		{"bad value", `{"disks":{"io":"nativ"}}`, `ex.disks.io: "nativ"`},
		{"bad type", `{"hugepages":{"size":"2M"}}`, "ex.hugepages.size: a JSON string does not fit a whole number"},
		{"huge number", `{"hugepages":{"size":1e400}}`, "ex.hugepages.size: a JSON number 1e400 does not fit a whole number from 0 to 18446744073709551615"},
		{"not allowed", `{"qemuArgs":["-S"]}`, `ex.qemuArgs[0]: "-S" (with no value) is not allowed`},
		{"vcpu bound", `{"pinning":{"vcpus":[{"vcpu":9,"cpuset":"0"}]}}`, "ex.pinning.vcpus[0].vcpu: 9 is not below"},
		{"rng rate", `{"rng":{"rate":{"bytes":4294967296}}}`, "ex.rng.rate.bytes: 4294967296 is above 4294967295"},
		{"cpuset sign", `{"pinning":{"emulator":"+1"}}`, `ex.pinning.emulator: cpuset "+1": "+1" is not a CPU number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := target()
			_, err := start.Run(context.Background(), stockBody(t, tc.ex), allowAll, r, start.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !start.Refused(err) {
				t.Fatalf("error %v, want a refusal containing %q", err, tc.want)
			}
			if strings.Join(r.steps, ",") != "validate-stock" {
				t.Errorf("steps %v, want only the stock validation", r.steps)
			}
		})
	}
	r := target()
	_, err := start.Run(context.Background(), []byte(`{"vmInstanceUuid":"x","cpuNum":-1}`), allowAll, r, start.Options{})
	if err == nil || len(r.steps) != 1 {
		t.Errorf("stock refusal: %v, steps %v", err, r.steps)
	}
	r = target()
	long := `{"vmInstanceUuid":"x","vmName":"` + strings.Repeat("n", 8<<20) + `"}`
	_, err = start.Run(context.Background(), []byte(long), allowAll, r, start.Options{})
	if err == nil || err.Error() != "vmName: 8388608 bytes is more than the 4096 a VM name may have" || len(r.steps) != 0 {
		t.Errorf("8 MB name: %.200v, steps %v", err, r.steps)
	}
}

type phases map[string]int

func (p phases) Observe(phase string, _ time.Duration) { p[phase]++ }

// TestRunSteps: a good request runs every step once, in order (the stock
// validation once), and reports each phase.
func TestRunSteps(t *testing.T) {
	r := target()
	ph := phases{}
	res, err := start.Run(context.Background(), stockBody(t, `{"hugepages":{"size":2048},"tags":{"a":"b"}}`), allowAll, r, start.Options{FullDiff: true, Phases: ph})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.steps, ","); got != "validate-stock,lock,begin,build,launch,finish,unlock" {
		t.Errorf("steps %s", got)
	}
	if strings.Join(res.Applied, ",") != "hugepages,tags" {
		t.Errorf("applied %v", res.Applied)
	}
	for _, p := range []string{start.PhaseValidate, start.PhaseBuild, start.PhaseLayers, start.PhaseDefine} {
		if ph[p] != 1 {
			t.Errorf("phase %s observed %d times", p, ph[p])
		}
	}
}

// failing fails at define, as libvirt may.
type failing struct{ *recorder }

func (f failing) Begin(ctx context.Context, cmd *excmd.StartVmExCmd) (start.Attempt, error) {
	at, err := f.recorder.Begin(ctx, cmd)
	at.(*recordedAttempt).fail = errors.New("define refused")
	return at, err
}

// TestFinishAfterLaunch: a failed launch is answered through Finish (the
// undo), after the call it undoes, under the VM's lock.
func TestFinishAfterLaunch(t *testing.T) {
	r := target()
	_, err := start.Run(context.Background(), stockBody(t, ""), allowAll, failing{r}, start.Options{})
	if err == nil || err.Error() != "define refused" || start.Refused(err) {
		t.Fatalf("error %v", err)
	}
	if got := strings.Join(r.steps, ","); got != "validate-stock,lock,begin,build,launch,finish,unlock" {
		t.Errorf("steps %s", got)
	}
}

// refusing fails at define with libvirt's words about what a layer wrote.
type refusing struct {
	*recorder
	text string
}

func (f refusing) Begin(ctx context.Context, cmd *excmd.StartVmExCmd) (start.Attempt, error) {
	at, err := f.recorder.Begin(ctx, cmd)
	at.(*recordedAttempt).fail = errors.New(f.text)
	return at, err
}

// TestRefusalNamesTheLayer: libvirt's refusal of the final domain names the
// layer that wrote what it speaks of, or every layer when it names nothing
// a layer wrote.
func TestRefusalNamesTheLayer(t *testing.T) {
	body := stockBody(t, `{"watchdog":{"model":"i6300esb"},"tags":{"a":"b"}}`)
	for _, tc := range []struct{ libvirt, want string }{
		{"unsupported configuration: unknown watchdog model 'i6300esb'", "written by layer watchdog (/domain/devices/watchdog[model=i6300esb])"},
		{"internal error: process exited while connecting to monitor", "layers that changed the domain: watchdog, tags"},
	} {
		_, err := start.Run(context.Background(), body, allowAll, refusing{target(), tc.libvirt}, start.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), tc.libvirt) {
			t.Errorf("%s:\n got %v\nwant it naming %q", tc.libvirt, err, tc.want)
		}
	}
}

// TestOversizedExBounded: an ex block of a million tags or qemu arguments
// (under the 16 MiB body limit) is refused naming the bound, and refusing
// it costs a few times its size, not the 30 s and hundreds of MB a layer
// walking it cost.
func TestOversizedExBounded(t *testing.T) {
	var tags, args strings.Builder
	tags.WriteString(`{"tags":{`)
	args.WriteString(`{"qemuArgs":[`)
	for i := range 1_000_000 {
		if i > 0 {
			tags.WriteByte(',')
			args.WriteByte(',')
		}
		fmt.Fprintf(&tags, `"t%d":"v"`, i)
		args.WriteString(`"-S"`)
	}
	tags.WriteString(`}}`)
	args.WriteString(`]}`)
	for _, tc := range []struct{ name, ex string }{{"tags", tags.String()}, {"qemuArgs", args.String()}} {
		body := stockBody(t, tc.ex)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := start.Run(context.Background(), body, allowAll, target(), start.Options{})
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "bytes is more than the 262144 an ex block may have") {
			t.Errorf("%s: %v", tc.name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*uint64(len(body)) {
			t.Errorf("%s: refusing a %d-byte body allocated %d bytes", tc.name, len(body), alloc)
		}
	}
}
