package linux

import (
	"strings"
	"testing"
)

func TestValidateInterfaceName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string
	}{
		{"eth0", ""},
		{"br_eth0", ""},
		{"eth0.100", ""},
		{"bond0-vlan_1.2", ""},
		{"abcdefghijklmno", ""}, // 15: the kernel's limit
		{"abcdefghijklmnop", "longer than 15"},
		{"", "empty"},
		{".", "reserved"},
		{"..", "reserved"},
		{"-eth0", "starts with '-'"},
		{"eth/0", "not allowed"},
		{"eth 0", "not allowed"},
		{"eth0\n", "not allowed"},
		{"eth0;reboot", "not allowed"},
		{"$(id)", "not allowed"},
		{"a`b`", "not allowed"},
		{"eth0:1", "not allowed"},
		{"a|b", "not allowed"},
		{"é", "not allowed"},
	}
	for _, tc := range tests {
		err := ValidateInterfaceName(tc.name)
		if tc.wantErr == "" && err != nil {
			t.Errorf("%q: unexpected error %v", tc.name, err)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%q: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestCheckNameNamesTheArgument(t *testing.T) {
	err := checkName("bridge name", "br;x")
	if err == nil || !strings.HasPrefix(err.Error(), `invalid bridge name "br;x": `) {
		t.Fatalf("err = %v", err)
	}
}
