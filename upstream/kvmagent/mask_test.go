package kvmagent

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMaskSensitiveNestedJSON covers bodies and fields that are JSON strings
// holding JSON: a client that encodes its command twice sends its password
// inside a string, which key-based masking alone never opens.
func TestMaskSensitiveNestedJSON(t *testing.T) {
	cmd := `{"vmInstanceUuid":"5d1f","consolePassword":"s3cret","dataVolumes":[{"chapPassword":"chap-pw"}]}`
	twice, _ := json.Marshal(cmd)
	thrice, _ := json.Marshal(string(twice))
	deep := cmd
	for range maxNesting + 1 {
		b, _ := json.Marshal(deep)
		deep = string(b)
	}
	masked := `{"consolePassword":"*****","dataVolumes":[{"chapPassword":"*****"}],"vmInstanceUuid":"5d1f"}`
	maskedOnce, _ := json.Marshal(masked)
	maskedTwice, _ := json.Marshal(string(maskedOnce))
	tests := []struct{ name, in, want string }{
		{"body is a JSON string holding the command", string(twice), string(maskedOnce)},
		{"encoded three times", string(thrice), string(maskedTwice)},
		{"field holding encoded JSON", `{"payload":` + string(twice) + `,"n":1}`, `{"n":1,"payload":` + string(maskedOnce) + `}`},
		{"array in a string", `{"list":"[{\"token\":\"t\"}]"}`, `{"list":"[{\"token\":\"*****\"}]"}`},
		{"plain strings kept", `{"vmName":"{web} [01]","path":"\"quoted\""}`, `{"path":"\"quoted\"","vmName":"{web} [01]"}`},
		{"body is a plain JSON string", `"password=s3cret"`, `<body of 17 bytes, not logged: not a JSON object or array>`},
		{"body is a number", `12345678`, `<body of 8 bytes, not logged: not a JSON object or array>`},
		{"nested too deep", deep, "<body of " + maskItoa(len(deep)) + " bytes, not logged: JSON nested in strings more than 8 deep>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(MaskSensitive([]byte(tc.in)))
			if got != tc.want {
				t.Errorf("MaskSensitive(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
			for _, secret := range []string{"s3cret", "chap-pw"} {
				if strings.Contains(got, secret) {
					t.Errorf("output shows %q: %s", secret, got)
				}
			}
		})
	}
}

func maskItoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestMaskSensitiveOptionValues: a secret inside a plain string value (a
// QEMU argument of an ex start) is masked, its option name kept.
func TestMaskSensitiveOptionValues(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"ex":{"qemuArgs":["-object","secret,id=s0,data=aGVsbG8=,format=base64"]}}`, `{"ex":{"qemuArgs":["-object","secret,id=s0,data=*****,format=base64"]}}`},
		{`{"args":"-spice port=5900,password=hunter2"}`, `{"args":"-spice port=5900,password=*****"}`},
		{`{"args":"-drive file=a.qcow2,key-secret=k0"}`, `{"args":"-drive file=a.qcow2,key-secret=*****"}`},
		{`{"path":"/a=b,c"}`, `{"path":"/a=b,c"}`},
	} {
		if got := string(MaskSensitive([]byte(c.in))); got != c.want {
			t.Errorf("MaskSensitive(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
