package layers_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
	"github.com/strataagent/strata/overlay/layers"
)

func TestRng(t *testing.T) {
	ctx, err := applyLayer(t, layers.Rng, errCase{ex: `{"rng":{"backend":"/dev/random","rate":{"bytes":2048}}}`})
	if err != nil {
		t.Fatal(err)
	}
	r := ctx.Domain.Devices.RNGs
	if len(r) != 1 || r[0].Model != "virtio" || r[0].Backend.Random.Device != "/dev/random" || r[0].Rate.Bytes != 2048 {
		t.Errorf("rng %+v", r)
	}
	runErrCases(t, layers.Rng, []errCase{
		{name: "backend", ex: `{"rng":{"backend":"/dev/zero"}}`, want: `ex.rng.backend: "/dev/zero": want one of [/dev/urandom /dev/random /dev/hwrng]`},
		{name: "rate", ex: `{"rng":{"rate":{"period":10}}}`, want: `ex.rng.rate.bytes: must be positive`},
	})
}

func TestWatchdog(t *testing.T) {
	ctx, err := applyLayer(t, layers.Watchdog, errCase{ex: `{"watchdog":{"model":"ib700","action":"pause"}}`})
	if err != nil {
		t.Fatal(err)
	}
	if w := ctx.Domain.Devices.Watchdogs; len(w) != 1 || w[0].Model != "ib700" || w[0].Action != "pause" {
		t.Errorf("watchdog %+v", w)
	}
	runErrCases(t, layers.Watchdog, []errCase{
		{name: "model", ex: `{"watchdog":{"model":"diag288"}}`, want: `ex.watchdog.model: "diag288": want one of [i6300esb ib700 itco]`},
		{name: "action", ex: `{"watchdog":{"model":"i6300esb","action":"explode"}}`, want: `ex.watchdog.action: "explode": want one of [reset shutdown poweroff pause none dump inject-nmi]`},
		{name: "itco on pc", ex: `{"watchdog":{"model":"itco"}}`, want: `ex.watchdog.model: itco is built into q35's ICH9: it needs ex.machine`},
	})
}

func TestTags(t *testing.T) {
	ctx, err := applyLayer(t, layers.Tags, errCase{ex: `{"tags":{"tier":"a\"<b>&","team":"x"}}`})
	if err != nil {
		t.Fatal(err)
	}
	got := ctx.Domain.Metadata.XML
	want := `<zs:zstack xmlns:zs="http://zstack.org"><internalId>17</internalId><hostManagementIp>10.0.0.21</hostManagementIp></zs:zstack>` +
		`<strata:tags xmlns:strata="https://strata.dev/xmlns/1"><tag name="team" value="x"/><tag name="tier" value="a&#34;&lt;b&gt;&amp;"/></strata:tags>`
	if got != want {
		t.Errorf("metadata\n got %s\nwant %s", got, want)
	}
	// the metadata survives a marshal and unmarshal, stock part included
	x, err := ctx.Domain.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(x, want) {
		t.Errorf("marshalled metadata lost: %s", x)
	}
	runErrCases(t, layers.Tags, []errCase{
		{name: "name", ex: `{"tags":{"a b":"x"}}`, want: `ex.tags.a b: a tag name is 1-63 letters, digits and _.:/-, starting with a letter or digit`},
		{name: "control char", ex: `{"tags":{"a":"x\u0001"}}`, want: `ex.tags.a: value holds U+0001, which XML cannot carry`},
	})
}

func TestQemuArgs(t *testing.T) {
	allow := func(c *layer.Config) {
		c.QemuArgsAllow = []string{`-global kvm-pit\.lost_tick_policy=(delay|discard)`, "-no-hpet"}
	}
	ctx, err := applyLayer(t, layers.QemuArgs, errCase{ex: `{"qemuArgs":["-global","kvm-pit.lost_tick_policy=discard"]}`, cfg: allow})
	if err != nil {
		t.Fatal(err)
	}
	if a := ctx.Domain.QEMUCommandline.Args; len(a) != 2 || a[1].Value != "kvm-pit.lost_tick_policy=discard" {
		t.Errorf("args %+v", a)
	}
	runErrCases(t, layers.QemuArgs, []errCase{
		{name: "option without its value", ex: `{"qemuArgs":["-global","-device"]}`, cfg: allow, want: `ex.qemuArgs[0]: "-global" (with no value) is not allowed by layers.qemu_args.allow`},
		{name: "partial match", ex: `{"qemuArgs":["-global","kvm-pit.lost_tick_policy=delay,x=1"]}`, cfg: allow, want: `ex.qemuArgs[0..1]: "-global" "kvm-pit.lost_tick_policy=delay,x=1" is not allowed by layers.qemu_args.allow`},
		// An allowed value after another allowed option is not allowed: pairs match, not arguments alone.
		{name: "value after another option", ex: `{"qemuArgs":["-no-hpet","kvm-pit.lost_tick_policy=delay"]}`, cfg: allow, want: `ex.qemuArgs[0..1]: "-no-hpet" "kvm-pit.lost_tick_policy=delay" is not allowed by layers.qemu_args.allow`},
		{name: "lone value", ex: `{"qemuArgs":["kvm-pit.lost_tick_policy=delay"]}`, cfg: allow, want: `ex.qemuArgs[0]: "kvm-pit.lost_tick_policy=delay" is a value with no option before it`},
		{name: "empty allow", ex: `{"qemuArgs":["-S"]}`, want: `ex.qemuArgs[0]: "-S" is not allowed: layers.qemu_args.allow is empty`},
		{name: "bad pattern", ex: `{"qemuArgs":["-S"]}`, cfg: func(c *layer.Config) { c.QemuArgsAllow = []string{"("} },
			want: "config layers.qemu_args.allow[0]: option pattern \"(\": error parsing regexp: missing closing ): `(`"},
		// A pattern that would break out of the anchors it is wrapped in is refused.
		{name: "escaping pattern", ex: `{"qemuArgs":["-S"]}`, cfg: func(c *layer.Config) { c.QemuArgsAllow = []string{"x)|(.*"} },
			want: "config layers.qemu_args.allow[0]: option pattern \"x)|(.*\": error parsing regexp: unexpected ): `x)|(.*`"},
		{name: "too many", ex: `{"qemuArgs":[` + strings.Repeat(`"-S",`, layers.MaxQemuArgs) + `"-S"]}`, cfg: allow, want: `ex.qemuArgs: 257 arguments is more than 256`},
	})
}

// oldLibvirt is a host on libvirt 9.0.0, which has no itco watchdog.
type oldLibvirt struct{ *fakeHost }

func (oldLibvirt) LibvirtVersion() (uint32, error) { return 9000000, nil }

// TestWatchdogITCOLibvirt: itco on a libvirt that lacks it is refused with
// the field and the bound, before anything is touched.
func TestWatchdogITCOLibvirt(t *testing.T) {
	cmd, err := excmd.Decode(withEx(t, mustRead(t, "../../upstream/vmplugin/testdata/mn_example_a.json"), `{"machine":{"type":"q35"},"watchdog":{"model":"itco"}}`))
	if err != nil {
		t.Fatal(err)
	}
	err = layer.DecodeEx(cmd, layers.Order, &layer.Check{Host: oldLibvirt{newFakeHost()}})
	if err == nil || err.Error() != "ex.watchdog.model: itco needs libvirt 9.2.0 or later; this host runs libvirt 9.0.0" {
		t.Errorf("error %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpicevmcWithoutSpice(t *testing.T) {
	spicevmc := &libvirtxml.DomainChardevSource{SpiceVMC: &libvirtxml.DomainChardevSourceSpiceVMC{}}
	agent := libvirtxml.DomainChannel{
		Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Path: "/var/lib/libvirt/qemu/x"}},
		Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "org.qemu.guest_agent.0"}},
	}
	vdagent := libvirtxml.DomainChannel{Source: spicevmc, Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "com.redhat.spice.0"}}}
	redir := libvirtxml.DomainRedirDev{Bus: "usb", Source: spicevmc}
	tcpRedir := libvirtxml.DomainRedirDev{Bus: "usb", Source: &libvirtxml.DomainChardevSource{TCP: &libvirtxml.DomainChardevSourceTCP{Host: "127.0.0.1", Service: "4000"}}}
	vnc := libvirtxml.DomainGraphic{VNC: &libvirtxml.DomainGraphicVNC{AutoPort: "yes"}}
	spice := libvirtxml.DomainGraphic{Spice: &libvirtxml.DomainGraphicSpice{AutoPort: "yes"}}
	for _, tc := range []struct {
		name                 string
		graphics             []libvirtxml.DomainGraphic
		channels             []libvirtxml.DomainChannel
		redirs               []libvirtxml.DomainRedirDev
		applies              bool
		wantChannels, wantRd int
	}{
		{"vnc drops spicevmc, keeps the agent channel and a tcp redirdev", []libvirtxml.DomainGraphic{vnc},
			[]libvirtxml.DomainChannel{vdagent, agent}, []libvirtxml.DomainRedirDev{redir, redir, tcpRedir}, true, 1, 1},
		{"no graphics at all", nil, []libvirtxml.DomainChannel{vdagent}, []libvirtxml.DomainRedirDev{redir}, true, 0, 0},
		{"spice keeps everything", []libvirtxml.DomainGraphic{vnc, spice},
			[]libvirtxml.DomainChannel{vdagent, agent}, []libvirtxml.DomainRedirDev{redir}, false, 2, 1},
		{"vnc without redirection has nothing to do", []libvirtxml.DomainGraphic{vnc},
			[]libvirtxml.DomainChannel{agent}, nil, false, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{
				Graphics: tc.graphics, Channels: slices.Clone(tc.channels), RedirDevs: slices.Clone(tc.redirs),
			}}
			c := &layer.Context{Domain: d}
			l := layers.SpicevmcWithoutSpice
			if got := l.Applies(c); got != tc.applies {
				t.Fatalf("Applies = %v, want %v", got, tc.applies)
			}
			if tc.applies {
				if err := l.Apply(c); err != nil {
					t.Fatal(err)
				}
			}
			if len(d.Devices.Channels) != tc.wantChannels || len(d.Devices.RedirDevs) != tc.wantRd {
				t.Fatalf("channels %d redirdevs %d, want %d and %d", len(d.Devices.Channels), len(d.Devices.RedirDevs), tc.wantChannels, tc.wantRd)
			}
			for _, ch := range d.Devices.Channels {
				if ch.Source.SpiceVMC != nil && tc.applies {
					t.Errorf("a spicevmc channel survived")
				}
			}
		})
	}
}
