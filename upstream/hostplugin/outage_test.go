package hostplugin

import (
	"context"
	"strings"
	"testing"

	"github.com/strataagent/strata/upstream/virtconn"
)

// During a libvirt outage the host calls the management node sends on
// (re)connect fail with the outage, and ping fails while echoing the uuid,
// so the management node reconnects instead of sending starts that fail.
func TestHostCallsReportALibvirtOutage(t *testing.T) {
	const uri = "qemu+unix:///system?socket=/nonexistent/strata/libvirt-sock"
	const hostUUID = "5d2ac5b4d5d84c7e9d3b3e6f3f0c1a2b"
	conn := virtconn.New(uri, quietLogger())
	t.Cleanup(conn.Close)
	p := New(Config{Runner: &fakeIptables{checkRC: 1}, System: fixtureSystem(t, cpuinfoVMX), QemuPath: "/bin/true"}, conn, quietLogger())
	ctx := context.Background()
	want := "libvirt is unavailable at " + uri + " since "

	_, err := p.Fact(ctx, request(FactPath, `{}`))
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "virError(") {
		t.Errorf("fact: err = %v, want it to start %q in plain words", err, want)
	}
	_, err = p.Connect(ctx, request(ConnectPath, `{"hostUuid":"`+hostUUID+`","sendCommandUrl":"http://127.0.0.1:8080/zstack/asyncrest/sendcommand","iptablesRules":[]}`))
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("connect: err = %v, want it to start %q", err, want)
	}
	if p.HostUUID() != hostUUID {
		t.Errorf("connect kept host uuid %q, want %q (the seed keeps it when a later step fails)", p.HostUUID(), hostUUID)
	}
	out, err := p.Ping(ctx, request(PingPath, `{"hostUuid":"`+hostUUID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	ping := asJSON(t, out)
	if ping["success"] != false || !strings.HasPrefix(ping["error"].(string), want) || ping["hostUuid"] != hostUUID {
		t.Errorf("ping = %v, want success false, the outage, and the host uuid", ping)
	}
}

func TestPingSucceedsWhileLibvirtIsUp(t *testing.T) {
	p, _ := newTestPlugin(t, Config{})
	out, err := p.Ping(context.Background(), request(PingPath, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if ping := asJSON(t, out); ping["success"] != true {
		t.Errorf("ping = %v", ping)
	}
}
