package hostplugin

import (
	"context"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var versionRE = regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`)

func needVersions(t *testing.T) {
	t.Helper()
	for _, prog := range []string{"libvirtd", "qemu-img"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("%s not installed", prog)
		}
	}
}

func TestPingBeforeAndAfterConnect(t *testing.T) {
	needVersions(t)
	p, _ := newTestPlugin(t, Config{})
	ctx := context.Background()

	out, err := p.Ping(ctx, request(PingPath, `{"hostUuid":"abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	m := asJSON(t, out)
	if _, has := m["hostUuid"]; has || m["success"] != true || m["error"] != "" {
		t.Fatalf("ping before connect = %v; want no hostUuid", m)
	}

	body := `{"hostUuid":"5d2ac5b4d5d84c7e9d3b3e6f3f0c1a2b","sendCommandUrl":"http://10.0.0.10:8080/zstack/asyncrest/sendcommand","iptablesRules":[]}`
	if _, err := p.Connect(ctx, request(ConnectPath, body)); err != nil {
		t.Fatal(err)
	}
	if p.HostUUID() != "5d2ac5b4d5d84c7e9d3b3e6f3f0c1a2b" || p.SendCommandURL() != "http://10.0.0.10:8080/zstack/asyncrest/sendcommand" {
		t.Fatalf("stored %q, %q", p.HostUUID(), p.SendCommandURL())
	}
	out, _ = p.Ping(ctx, request(PingPath, `{}`))
	if m := asJSON(t, out); m["hostUuid"] != "5d2ac5b4d5d84c7e9d3b3e6f3f0c1a2b" {
		t.Fatalf("ping after connect = %v", m)
	}
}

func TestConnectAnswers(t *testing.T) {
	needVersions(t)
	p, fake := newTestPlugin(t, Config{})
	for _, body := range []string{`{"hostUuid":"h1","sendCommandUrl":"u"}`, `{"hostUuid":"h1","iptablesRules":[]}`, ``} {
		out, err := p.Connect(context.Background(), request(ConnectPath, body))
		if err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		m := asJSON(t, out)
		if m["success"] != true || m["iptablesSucc"] != true {
			t.Fatalf("body %q: reply %v", body, m)
		}
		for _, k := range []string{"libvirtVersion", "qemuVersion"} {
			if v, _ := m[k].(string); !versionRE.MatchString(v) {
				t.Fatalf("body %q: %s = %q", body, k, m[k])
			}
		}
	}
	if calls := fake.joined(); len(calls) != 0 {
		t.Fatalf("iptables ran without rules: %v", calls)
	}
}

func TestConnectErrors(t *testing.T) {
	needVersions(t)
	ctx := context.Background()
	p, _ := newTestPlugin(t, Config{QemuPath: "/nonexistent/qemu-kvm"})
	if _, err := p.Connect(ctx, request(ConnectPath, `{"hostUuid":"h2"}`)); err == nil || !strings.Contains(err.Error(), "qemu version") {
		t.Fatalf("missing qemu: err = %v", err)
	}
	if p.HostUUID() != "h2" {
		t.Fatalf("host uuid not kept after a failed connect: %q", p.HostUUID())
	}
	if _, err := p.Connect(ctx, request(ConnectPath, `{"hostUuid":`)); err == nil || !strings.Contains(err.Error(), "malformed JSON") {
		t.Fatalf("bad JSON: err = %v", err)
	}
}

func TestConnectIptables(t *testing.T) {
	needVersions(t)
	tests := []struct {
		name      string
		rules     string
		checkRC   int
		addRC     int
		wantCalls []string
		wantErr   string
	}{
		{
			name:      "missing rule is added",
			rules:     `["-A INPUT -p tcp --dport 7070 -j ACCEPT"]`,
			checkRC:   1,
			wantCalls: []string{"iptables -w -C INPUT -p tcp --dport 7070 -j ACCEPT", "iptables -w -A INPUT -p tcp --dport 7070 -j ACCEPT"},
		},
		{
			name:      "present rule is left alone",
			rules:     `["-A INPUT -p tcp --dport 7070 -j ACCEPT"]`,
			checkRC:   0,
			wantCalls: []string{"iptables -w -C INPUT -p tcp --dport 7070 -j ACCEPT"},
		},
		{
			name:    "quoted, table, insert with a position, negation",
			rules:   `["'-I INPUT 1 ! -s 10.0.0.0/8 -j DROP'", "\"-t nat -A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE\""]`,
			checkRC: 1,
			wantCalls: []string{
				"iptables -w -C INPUT ! -s 10.0.0.0/8 -j DROP", "iptables -w -I INPUT 1 ! -s 10.0.0.0/8 -j DROP",
				"iptables -w -t nat -C POSTROUTING -s 10.0.0.0/24 -j MASQUERADE", "iptables -w -t nat -A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE",
			},
		},
		{
			name:      "check fails otherwise",
			rules:     `["-A INPUT -j ACCEPT"]`,
			checkRC:   2,
			wantCalls: []string{"iptables -w -C INPUT -j ACCEPT"},
			wantErr:   "check iptables rule: -A INPUT -j ACCEPT failed",
		},
		{
			name:      "add fails",
			rules:     `["-A NOCHAIN -j ACCEPT"]`,
			checkRC:   1,
			addRC:     1,
			wantCalls: []string{"iptables -w -C NOCHAIN -j ACCEPT", "iptables -w -A NOCHAIN -j ACCEPT"},
			wantErr:   "cannot set iptables rule: -A NOCHAIN -j ACCEPT",
		},
		{
			name:    "shell metacharacters refuse the whole set before anything runs",
			rules:   `["-A INPUT -j ACCEPT", "-A INPUT -j ACCEPT; reboot"]`,
			wantErr: "shell metacharacter ';'",
		},
		{
			name:    "not an -A/-I rule",
			rules:   `["-F INPUT"]`,
			wantErr: "only -A and -I rules",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeIptables{checkRC: tc.checkRC, addRC: tc.addRC}
			p, _ := newTestPlugin(t, Config{Runner: fake})
			out, err := p.Connect(context.Background(), request(ConnectPath, `{"hostUuid":"h","iptablesRules":`+tc.rules+`}`))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if m := asJSON(t, out); m["iptablesSucc"] != true {
				t.Fatalf("reply %v", m)
			}
			if got := fake.joined(); !reflect.DeepEqual(got, tc.wantCalls) && !(len(got) == 0 && len(tc.wantCalls) == 0) {
				t.Fatalf("iptables calls:\n got %q\nwant %q", got, tc.wantCalls)
			}
		})
	}
}

func TestSplitRule(t *testing.T) {
	for _, tc := range []struct {
		rule    string
		want    []string
		wantErr string
	}{
		{"-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT", []string{"-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "80,443", "-j", "ACCEPT"}, ""},
		{"  -A  INPUT\t-i eth+ -j ACCEPT ", []string{"-A", "INPUT", "-i", "eth+", "-j", "ACCEPT"}, ""},
		{"'-A INPUT ! -s 1.2.3.4 -j DROP'", []string{"-A", "INPUT", "!", "-s", "1.2.3.4", "-j", "DROP"}, ""},
		{"", nil, "is empty"},
		{"''", nil, "is empty"},
		{"-A INPUT -j ACCEPT && reboot", nil, "'&'"},
		{"-A INPUT -s $(hostname) -j ACCEPT", nil, "'$'"},
		{"-A INPUT -j `id`", nil, "'`'"},
		{"-A INPUT -j ACCEPT > /etc/passwd", nil, "'>'"},
		{"-A INPUT -m comment --comment 'two words' -j ACCEPT", nil, `'\''`},
		{"-A INPUT -s !1.2.3.4 -j DROP", nil, "'!'"},
		{"-A INPUT -j ACCEPT\nreboot", nil, "control character '\\n'"},
	} {
		got, err := splitRule(tc.rule)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v, want %q", tc.rule, err, tc.wantErr)
			}
			continue
		}
		if err != nil || (tc.want != nil && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%q: got %q, %v", tc.rule, got, err)
		}
	}
}
