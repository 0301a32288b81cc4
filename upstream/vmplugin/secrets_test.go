package vmplugin

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/kvmagent"
	"github.com/strataagent/strata/upstream/uuidhelper"
)

// fakeISCSIAdmScript stands in for iscsiadm: it prints its arguments to
// stdout and stderr (as a real program may, in its errors), records them in
// $STRATA_FAKE_ISCSIADM_LOG, and on the CHAP password update fails or hangs
// as $STRATA_FAKE_ISCSIADM_MODE says; "present" makes --login answer
// "already present".
const fakeISCSIAdmScript = `#!/bin/sh
echo "iscsiadm: $*"
echo "iscsiadm: $*" >&2
if [ -n "$STRATA_FAKE_ISCSIADM_LOG" ]; then echo "$*" >> "$STRATA_FAKE_ISCSIADM_LOG"; fi
case "$*" in
*node.session.auth.password*)
	case "$STRATA_FAKE_ISCSIADM_MODE" in
	hang) exec sleep 30 ;;
	fail) exit 15 ;;
	esac ;;
*--login*)
	if [ "$STRATA_FAKE_ISCSIADM_MODE" = present ]; then
		echo "iscsiadm: default: 1 session requested, but 1 already present." >&2
		exit 15
	fi ;;
esac
exit 0
`

// fakeISCSIAdm puts the fake first on PATH for this test, in mode, and
// returns the file its calls are recorded in.
func fakeISCSIAdm(t *testing.T, mode string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "iscsiadm"), []byte(fakeISCSIAdmScript), 0o755); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("STRATA_FAKE_ISCSIADM_MODE", mode)
	t.Setenv("STRATA_FAKE_ISCSIADM_LOG", calls)
	return calls
}

// defineClash defines, behind the agent's back, a domain that holds vm's
// uuid under another name: the agent's define of vm then fails.
func defineClash(t *testing.T, vmUUID string) (remove func()) {
	t.Helper()
	c := testConn(t)
	x := fmt.Sprintf(`<domain type="test"><name>clash-%s</name><uuid>%s</uuid><memory>1024</memory><os><type>hvm</type></os></domain>`,
		vmUUID, uuidhelper.ToFullUUID(vmUUID))
	d, err := c.DomainDefineXML(x)
	if err != nil {
		t.Fatal(err)
	}
	done := false
	remove = func() {
		if !done {
			done = true
			d.Undefine()
			d.Free()
		}
	}
	t.Cleanup(remove)
	return remove
}

// TestSecretsShownNowhere runs every command the agent builds with a
// secret (iscsiadm's CHAP update, the CHAP secret of a virtio iSCSI disk,
// the Ceph secret, the console password in the domain) into a failure,
// and a command sent as a JSON string, and looks for the secrets in all
// the agent says: the callback body, its error header, and its log at
// debug level.
func TestSecretsShownNowhere(t *testing.T) {
	const (
		chapPw    = "Chap-Pw-93517"
		cephKey   = "AQCephKey-28461=="
		consolePw = "Console-Pw-70263"
	)
	blkCHAP := func(c *StartVmCmd) {
		c.RootVolume = &VolumeTO{InstallPath: "iscsi://127.0.0.1:3260/iqn.2024-01.test.strata:chap/1", DeviceType: "iscsi", VolumeUUID: "r0",
			CacheMode: "none", ChapUsername: "chapuser", ChapPassword: chapPw}
	}
	all := func(c *StartVmCmd) {
		blkCHAP(c)
		c.ConsolePassword = new(consolePw)
		c.Addons = &Addons{CephSecretKey: cephKey, CephSecretUUID: "0b7f2c8e-2d4b-4b61-9a0e-5c1d7e3f9a21"}
	}
	tests := []struct {
		name     string
		mode     string        // fake iscsiadm's
		timeout  time.Duration // the runner's; 0 is the default
		cmd      *StartVmCmd
		asString bool   // send the command as a JSON string holding it
		clash    bool   // make libvirt's define fail
		wantErr  string // part of the error the agent answers
	}{
		{name: "iscsiadm CHAP update fails, echoing its arguments", mode: "fail", cmd: hostCmd(blkCHAP),
			wantErr: `--name node.session.auth.password --value *****", return code: 15, stderr: iscsiadm: --mode node`},
		{name: "iscsiadm CHAP update times out", mode: "hang", timeout: 300 * time.Millisecond, cmd: hostCmd(blkCHAP),
			wantErr: `--value *****", return code: -1`},
		{name: "CHAP secret of a virtio iSCSI disk cannot be defined", cmd: hostCmd(func(c *StartVmCmd) {
			blkCHAP(c)
			c.RootVolume.UseVirtio = true
		}), wantErr: "libvirt error: this function is not supported by the connection driver: virSecretDefineXML"},
		{name: "ceph secret cannot be defined", cmd: hostCmd(func(c *StartVmCmd) {
			c.Addons = &Addons{CephSecretKey: cephKey, CephSecretUUID: "0b7f2c8e-2d4b-4b61-9a0e-5c1d7e3f9a21"}
		}), wantErr: "libvirt error: this function is not supported by the connection driver: virSecretDefineXML"},
		{name: "console password, define refused", clash: true, cmd: hostCmd(func(c *StartVmCmd) { c.ConsolePassword = new(consolePw) }),
			wantErr: "libvirt error: "},
		{name: "command sent as a JSON string", asString: true, cmd: hostCmd(all),
			wantErr: "malformed JSON in request body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fakeISCSIAdm(t, tc.mode)
			a := startTestAgent(t, PluginConfig{Emulator: testEmulator})
			a.Plugin.Host.(*LiveHost).Runner.Timeout = tc.timeout
			if tc.clash {
				defineClash(t, tc.cmd.VMInstanceUUID)
			}
			body, err := json.Marshal(tc.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if tc.asString {
				body, _ = json.Marshal(string(body))
			}
			cb := a.post(t, KVMStartVMPath, body)
			var env struct {
				Success bool   `json:"success"`
				Error   string `json:"error"`
			}
			if err := json.Unmarshal(cb.Body, &env); err != nil {
				t.Fatal(err)
			}
			if env.Success || !strings.Contains(env.Error, tc.wantErr) {
				t.Fatalf("success=%v error=%q, want an error containing %q", env.Success, env.Error, tc.wantErr)
			}
			outputs := map[string]string{
				"callback body": string(cb.Body),
				"error header":  cb.Header.Get(kvmagent.HeaderError),
				"log":           a.Log.String(),
			}
			for where, text := range outputs {
				for _, secret := range []string{chapPw, cephKey, consolePw} {
					if strings.Contains(text, secret) {
						t.Errorf("%s shows %q:\n%s", where, secret, text)
					}
				}
			}
			if tc.asString && !strings.Contains(a.Log.String(), `consolePassword\\\":\\\"*****`) {
				t.Errorf("debug log lacks the masked body:\n%s", a.Log.String())
			}
		})
	}
}

// TestMaskError keeps a libvirt error reachable (the start path maps
// them) with its message masked.
func TestMaskError(t *testing.T) {
	lerr := libvirt.Error{Code: libvirt.ERR_XML_ERROR, Message: "XML error: bad passwd='Pw-1'"}
	err := maskError(fmt.Errorf("define: %w", lerr), "Pw-1")
	if strings.Contains(err.Error(), "Pw-1") || !strings.Contains(err.Error(), "passwd='*****'") {
		t.Errorf("masked = %q", err)
	}
	if !isLibvirtError(err) || libvirtMessage(err) != "XML error: bad passwd='*****'" {
		t.Errorf("libvirt message = %q", libvirtMessage(err))
	}
	plain := fmt.Errorf("no secret here: %w", lerr)
	if maskError(plain, "other") != plain {
		t.Error("an error without the secret was replaced")
	}
	if maskError(nil, "x") != nil {
		t.Error("nil became an error")
	}
}
