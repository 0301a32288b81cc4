package kvmagent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMaskSensitive(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"console password", `{"vmInstanceUuid":"5d1f","consolePassword":"s3cret"}`,
			`{"consolePassword":"*****","vmInstanceUuid":"5d1f"}`},
		{"nested ceph key kept uuid", `{"addons":{"ceph_secret_uuid":"4b2e","ceph_secret_key":"AQBv\u003d\u003d","channel":{"socketPath":"/p"}}}`,
			`{"addons":{"ceph_secret_key":"*****","ceph_secret_uuid":"4b2e","channel":{"socketPath":"/p"}}}`},
		{"in arrays, any case", `{"volumes":[{"chapUsername":"u","CHAPPASSWORD":"p","installPath":"/x"}],"n":[1,2]}`,
			`{"n":[1,2],"volumes":[{"CHAPPASSWORD":"*****","chapUsername":"*****","installPath":"/x"}]}`},
		{"all the words", `{"passwd":"a","apiToken":"b","userKey":"c","sshKey":{"k":"v"},"secret":["x"],"rootPassword":1}`,
			`{"apiToken":"*****","passwd":"*****","rootPassword":"*****","secret":"*****","sshKey":"*****","userKey":"*****"}`},
		{"numbers kept exact", `{"memory":2147483648,"maxMemory":67205427200,"f":1.50}`,
			`{"f":1.50,"maxMemory":67205427200,"memory":2147483648}`},
		{"non-ASCII and html kept", `{"vmName":"云 <a&b>"}`, `{"vmName":"云 <a&b>"}`},
		{"top-level array", `[{"password":"p"}]`, `[{"password":"*****"}]`},
		{"empty body", ``, ``},
		{"not JSON is not logged", `password=s3cret`, `<body of 15 bytes, not JSON, not logged>`},
		{"trailing data is not logged", `{"a":1} {"password":"p"}`, `<body of 24 bytes, not JSON, not logged>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(MaskSensitive([]byte(tc.in))); got != tc.want {
				t.Errorf("MaskSensitive(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeCommand(t *testing.T) {
	type cmd struct {
		UUID    string `json:"uuid"`
		Timeout int64  `json:"timeout"`
	}
	tests := []struct {
		name    string
		body    string
		want    cmd
		wantErr string
	}{
		{"fields", `{"uuid":"abc","timeout":120,"unknown":true}`, cmd{"abc", 120}, ""},
		{"empty", ``, cmd{}, ""},
		{"whitespace", " \n", cmd{}, ""},
		{"syntax", `{"uuid":`, cmd{}, "malformed JSON in request body: unexpected end of JSON input"},
		{"type", `{"timeout":"x"}`, cmd{}, "malformed JSON in request body: json: cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got cmd
			err := DecodeCommand(&Request{Body: []byte(tc.body)}, &got)
			if tc.wantErr != "" {
				var syn *json.SyntaxError
				var typ *json.UnmarshalTypeError
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || !(errors.As(err, &syn) || errors.As(err, &typ)) {
					t.Errorf("err %v, want %q wrapping the json error", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	var m map[string]any
	if err := DecodeCommand(&Request{}, &m); err != nil || m == nil {
		t.Errorf("empty body into a map: %v %v", m, err)
	}
}

type valueRsp struct {
	AgentResponse
	States map[string]string `json:"states"`
}

type ptrRsp struct {
	*AgentResponse
	HostUUID string `json:"hostUuid,omitempty"`
}

func TestEncodeReply(t *testing.T) {
	var nilRsp *echoRsp
	ok := NewAgentResponse()
	tests := []struct {
		name     string
		reply    any
		want     string
		wantFail string
		wantErr  bool
	}{
		{"nil", nil, "", "", false},
		{"typed nil", nilRsp, "", "", false},
		{"bare envelope", &ok, `{"success":true,"error":""}`, "", false},
		{"by value", valueRsp{AgentResponse: NewAgentResponse(), States: map[string]string{"u": "Running"}},
			`{"success":true,"error":"","states":{"u":"Running"}}`, "", false},
		{"pointer embedding", &ptrRsp{AgentResponse: &AgentResponse{Success: true}, HostUUID: "h"},
			`{"success":true,"error":"","hostUuid":"h"}`, "", false},
		{"map gets both fields", map[string]any{"hostUuid": "h"}, `{"success":true,"error":"","hostUuid":"h"}`, "", false},
		{"map gets error only", map[string]any{"success": false}, `{"error":"","success":false}`, "", false},
		{"empty map", map[string]any{}, `{"success":true,"error":""}`, "", false},
		{"raw object", json.RawMessage(` {"a":1} `), `{"success":true,"error":"","a":1}`, "", false},
		{"failed envelope as is", &echoRsp{AgentResponse: AgentResponse{Error: "x failed"}, Name: "n"},
			`{"success":false,"error":"x failed","name":"n"}`, "x failed", false},
		{"array", []int{1}, `{"success":false,"error":"the reply ([]int) is not a JSON object"}`,
			"the reply ([]int) is not a JSON object", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, fail, err := encodeReply(tc.reply)
			if string(body) != tc.want || fail != tc.wantFail || (err != nil) != tc.wantErr {
				t.Errorf("got %s, %q, %v; want %s, %q, err=%v", body, fail, err, tc.want, tc.wantFail, tc.wantErr)
			}
		})
	}
}

func TestASCIIJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{`"é"`, `"\u00e9"`},
		{`"中文"`, `"\u4e2d\u6587"`},
		{`"😀"`, `"\ud83d\ude00"`},
		{`{"ключ":"\u00e9"}`, `{"\u043a\u043b\u044e\u0447":"\u00e9"}`},
		{"\"\xff\"", `"\ufffd"`},
	}
	for _, tc := range tests {
		if got := string(asciiJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("asciiJSON(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestHeaderSafe(t *testing.T) {
	long := strings.Repeat("é", 600)
	if got := headerSafe(long); len(got) != 1024 || strings.ContainsFunc(got, func(r rune) bool { return r >= 0x80 }) {
		t.Errorf("long header: %d bytes", len(got))
	}
	if got := headerSafe("a\x00b\tc\nd"); got != "ab c d" {
		t.Errorf("control characters: %q", got)
	}
}

type fakePlugin struct {
	name     string
	startErr error
	stopErr  error
	log      *[]string
}

func (p *fakePlugin) Start(s *Server) error {
	*p.log = append(*p.log, "start "+p.name)
	if s == nil {
		return errors.New("no server")
	}
	return p.startErr
}

func (p *fakePlugin) Stop() error {
	*p.log = append(*p.log, "stop "+p.name)
	return p.stopErr
}

func TestAgent(t *testing.T) {
	s := NewServer(testConfig())
	t.Run("order", func(t *testing.T) {
		var log []string
		a := NewAgent(s, &fakePlugin{name: "host", log: &log}, &fakePlugin{name: "vm", log: &log, stopErr: errors.New("busy")})
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		if err := a.Start(); err == nil {
			t.Error("second Start did not fail")
		}
		err := a.Stop()
		if err == nil || !strings.Contains(err.Error(), "stop plugin *kvmagent.fakePlugin: busy") {
			t.Errorf("Stop: %v", err)
		}
		if got := fmt.Sprint(log); got != "[start host start vm stop vm stop host]" {
			t.Errorf("calls %s", got)
		}
	})
	t.Run("failed start stops the started ones", func(t *testing.T) {
		var log []string
		boom := errors.New("boom")
		a := NewAgent(s, &fakePlugin{name: "host", log: &log}, &fakePlugin{name: "vm", log: &log, startErr: boom},
			&fakePlugin{name: "never", log: &log})
		if err := a.Start(); !errors.Is(err, boom) {
			t.Errorf("Start: %v", err)
		}
		if got := fmt.Sprint(log); got != "[start host start vm stop host]" {
			t.Errorf("calls %s", got)
		}
		if a.Server() != s {
			t.Error("Server()")
		}
	})
}
