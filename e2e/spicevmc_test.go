package e2e

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

// vncWithUsbRedirect is a VNC VM whose command asks for USB redirection:
// the stock builder then writes a spicevmc channel and redirdevs (2.3.2
// does so for every x86 VM), which libvirt's qemu driver refuses without
// SPICE graphics.
func vncWithUsbRedirect(t testing.TB, uuid, channelDir string) map[string]any {
	t.Helper()
	cmd := minimalVM(t, uuid, channelDir)
	cmd["consoleMode"] = "vnc"
	cmd["usbRedirect"] = "true"
	return cmd
}

// TestVNCStartWithSpiceRedirection starts a VNC VM whose stock domain
// carries SPICE-only redirection on the real libvirtd. The stock kvmagent
// is the vendor's release and its expectation documents the vendor's
// behaviour: libvirt refuses the domain and the start fails, leaving
// nothing defined. strata-agent fixes it in the overlay (the vendor-fix
// layer spicevmc-without-spice): the VM runs when started through :7070,
// as the management node does, and through :7071.
func TestVNCStartWithSpiceRedirection(t *testing.T) {
	domainType := requireLibvirtd(t)
	channelDir := t.TempDir()
	a := startAgent(t, agentOptions{URI: systemURI, DomainType: domainType, ConfinedDirs: []string{channelDir}})

	if composition == compositionStock {
		const uuid = "5c0ffee0000000000000000000000001"
		cleanupDomain(t, uuid)
		rsp := a.call(t, "/vm/start", vncWithUsbRedirect(t, uuid, channelDir))
		if rsp["success"] != false {
			t.Fatalf("stock start of a VNC VM with spicevmc: success=%v, want the vendor's libvirt refusal", rsp["success"])
		}
		if msg, _ := rsp["error"].(string); !strings.Contains(msg, "spicevmc") || !strings.Contains(msg, "spice graphics") {
			t.Errorf("stock start error %q: want libvirt's spicevmc refusal", msg)
		}
		if domainExists(t, a, uuid) {
			t.Error("the refused stock start left a domain defined")
		}
		return
	}

	for _, port := range []struct {
		name, path string
		via        *agent
		uuid       string
	}{
		{":7070", "/vm/start", a, "5c0ffee0000000000000000000000002"},
		{":7071", "/ex/vm/start", a.ex(), "5c0ffee0000000000000000000000003"},
	} {
		t.Run(port.name, func(t *testing.T) {
			cleanupDomain(t, port.uuid)
			mustSucceed(t, "start on "+port.name, port.via.call(t, port.path, vncWithUsbRedirect(t, port.uuid, channelDir)))
			if st := libvirtState(t, a.Conn, port.uuid); st != libvirt.DOMAIN_RUNNING {
				t.Fatalf("libvirt state after start on %s = %d, want running", port.name, st)
			}
			live, x := liveDomain(t, a, port.uuid)
			for _, ch := range live.Devices.Channels {
				if ch.Source != nil && ch.Source.SpiceVMC != nil {
					t.Errorf("running domain has a spicevmc channel:\n%s", x)
				}
			}
			if len(live.Devices.RedirDevs) != 0 {
				t.Errorf("running domain has %d redirdevs, want none", len(live.Devices.RedirDevs))
			}
			if len(live.Devices.Graphics) != 1 || live.Devices.Graphics[0].VNC == nil {
				t.Errorf("running domain lost its VNC graphics:\n%s", x)
			}
			mustSucceed(t, "destroy on :7070", a.call(t, "/vm/destroy", map[string]any{"uuid": port.uuid}))
		})
	}
}

// TestSpicevmcFixOnTestDriver runs the same starts on test:///default,
// which accepts spicevmc without SPICE, to show what each agent defines:
// the stock kvmagent the vendor's domain (spicevmc on a VNC VM), strata-
// agent on either port the fixed one; with SPICE graphics the fix leaves
// the redirection alone.
func TestSpicevmcFixOnTestDriver(t *testing.T) {
	channelDir := t.TempDir()
	a := startAgent(t, agentOptions{URI: "test:///default", ConfinedDirs: []string{channelDir}})
	spicevmc := func(uuid string) (channels, redirdevs int) {
		live, _ := liveDomain(t, a, uuid)
		for _, ch := range live.Devices.Channels {
			if ch.Source != nil && ch.Source.SpiceVMC != nil {
				channels++
			}
		}
		return channels, len(live.Devices.RedirDevs)
	}
	type start struct {
		name, path, console string
		via                 *agent
		wantChannels        int
		wantRedirdevs       int
	}
	starts := []start{{"stock port, vnc", "/vm/start", "vnc", a, 0, 0}, {"stock port, spice", "/vm/start", "spice", a, 1, 4}}
	if composition == compositionStrata {
		starts = append(starts, start{"ex port, vnc", "/ex/vm/start", "vnc", a.ex(), 0, 0}, start{"ex port, spice", "/ex/vm/start", "spice", a.ex(), 1, 4})
	} else {
		starts[0].wantChannels, starts[0].wantRedirdevs = 1, 4 // the vendor's domain, which qemu refuses
	}
	for i, s := range starts {
		t.Run(s.name, func(t *testing.T) {
			uuid := "5c0ffee00000000000000000000001" + string(rune('0'+i/10)) + string(rune('0'+i%10))
			cmd := vncWithUsbRedirect(t, uuid, channelDir)
			cmd["consoleMode"] = s.console
			mustSucceed(t, "start", s.via.call(t, s.path, cmd))
			if ch, rd := spicevmc(uuid); ch != s.wantChannels || rd != s.wantRedirdevs {
				t.Errorf("spicevmc channels %d, redirdevs %d; want %d and %d", ch, rd, s.wantChannels, s.wantRedirdevs)
			}
			mustSucceed(t, "destroy", a.call(t, "/vm/destroy", map[string]any{"uuid": uuid}))
		})
	}
}
