package vmplugin

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeMeta(t *testing.T) {
	meta := func(id, ip string) *libvirtxml.DomainMetadata {
		return &libvirtxml.DomainMetadata{XML: `<zs:zstack xmlns:zs="http://zstack.org"><internalId>` + id + `</internalId><hostManagementIp>` + ip + `</hostManagementIp></zs:zstack>`}
	}
	ident := func(clock *libvirtxml.DomainClock, m *libvirtxml.DomainMetadata) *libvirtxml.Domain {
		return &libvirtxml.Domain{
			Name: "5d1f7c3a9b2e4f60a8c4d2e1b7f9a013", UUID: "5d1f7c3a-9b2e-4f60-a8c4-d2e1b7f9a013", Description: "web-01",
			OnPoweroff: "destroy", OnCrash: "restart", OnReboot: "restart", Metadata: m, Clock: clock,
		}
	}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want *libvirtxml.Domain
	}{
		{"clock utc", baseCmd(), ident(&libvirtxml.DomainClock{Offset: "utc"}, meta("17", "10.0.0.21"))},
		{"clock localtime adds the Windows timers", cmdWith(func(c *StartVmCmd) { c.Clock = "localtime" }), ident(&libvirtxml.DomainClock{
			Offset: "localtime",
			Timer: []libvirtxml.DomainTimer{
				{Name: "rtc", TickPolicy: "catchup"}, {Name: "pit", TickPolicy: "delay"},
				{Name: "hpet", Present: "no"}, {Name: "hypervclock", Present: "yes"},
			},
		}, meta("17", "10.0.0.21"))},
		{"hostManagementIp is escaped", cmdWith(func(c *StartVmCmd) { c.HostManagementIP = `a<b&"c"`; c.VMInternalID = -3 }),
			ident(&libvirtxml.DomainClock{Offset: "utc"}, meta("-3", `a&lt;b&amp;&#34;c&#34;`))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeMeta, tc.cmd, cfgX86, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, tc.want)
		})
	}
}

func TestMakeMetaVMName(t *testing.T) {
	got, _ := runStep(t, MakeMeta, cmdWith(func(c *StartVmCmd) { c.VMName = `win "2012" <r2> & more` }), cfgX86, nil)
	x, err := MarshalDomain(got)
	if err != nil {
		t.Fatal(err)
	}
	want := `<description>win &#34;2012&#34; &lt;r2&gt; &amp; more</description>`
	if !strings.Contains(x, want) {
		t.Errorf("description not escaped: %s", x)
	}
}
