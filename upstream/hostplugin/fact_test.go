package hostplugin

import (
	"context"
	"testing"
)

func TestFact(t *testing.T) {
	needVersions(t)
	tests := []struct {
		name, arch, cpuinfo string
		wantFlag            any // nil: the field is absent
	}{
		{"intel", ArchX86_64, cpuinfoVMX, "vmx"},
		{"no virtualisation flag: omitted", ArchX86_64, cpuinfoNoHVM, nil},
		{"aarch64 is always vt", ArchAarch64, cpuinfoNoHVM, "vt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newTestPlugin(t, Config{Arch: tc.arch, System: fixtureSystem(t, tc.cpuinfo)})
			out, err := p.Fact(context.Background(), request(FactPath, `{}`))
			if err != nil {
				t.Fatal(err)
			}
			m := asJSON(t, out)
			if flag, has := m["hvmCpuFlag"]; flag != tc.wantFlag || (tc.wantFlag == nil && has) {
				t.Errorf("hvmCpuFlag = %v (present %v), want %v", flag, has, tc.wantFlag)
			}
			for _, k := range []string{"qemuImgVersion", "libvirtVersion"} {
				if v, _ := m[k].(string); !versionRE.MatchString(v) {
					t.Errorf("%s = %v", k, m[k])
				}
			}
			ips, ok := m["ipAddresses"].([]any)
			if !ok {
				t.Fatalf("ipAddresses = %#v, want a list", m["ipAddresses"])
			}
			for _, ip := range ips {
				if ip == "127.0.0.1" {
					t.Error("ipAddresses lists 127.0.0.1")
				}
			}
		})
	}
}

func TestEcho(t *testing.T) {
	p, _ := newTestPlugin(t, Config{})
	out, err := p.Echo(context.Background(), request(EchoPath, ""))
	if out != nil || err != nil {
		t.Fatalf("Echo = %v, %v; want nil, nil", out, err)
	}
}
