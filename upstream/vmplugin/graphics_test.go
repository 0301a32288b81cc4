package vmplugin

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestMakeGraphicConsole(t *testing.T) {
	listen := []libvirtxml.DomainGraphicListener{{Address: &libvirtxml.DomainGraphicListenerAddress{Address: "0.0.0.0"}}}
	spice := func(mode string) *libvirtxml.DomainGraphicSpice {
		s := &libvirtxml.DomainGraphicSpice{
			Port: 5900, AutoPort: "yes", Listeners: listen,
			Image:        &libvirtxml.DomainGraphicSpiceImage{Compression: "auto_glz"},
			JPEG:         &libvirtxml.DomainGraphicSpiceJPEG{Compression: "always"},
			ZLib:         &libvirtxml.DomainGraphicSpiceZLib{Compression: "never"},
			Playback:     &libvirtxml.DomainGraphicSpicePlayback{Compression: "off"},
			Mouse:        &libvirtxml.DomainGraphicSpiceMouse{Mode: "client"},
			FileTransfer: &libvirtxml.DomainGraphicSpiceFileTransfer{Enable: "no"},
			ClipBoard:    &libvirtxml.DomainGraphicSpiceClipBoard{CopyPaste: "no"},
		}
		if mode != "" {
			s.Streaming = &libvirtxml.DomainGraphicSpiceStreaming{Mode: mode}
		}
		return s
	}
	for _, tc := range []struct {
		name string
		cmd  *StartVmCmd
		want libvirtxml.DomainGraphic
	}{
		{"consolePassword", baseCmd(), libvirtxml.DomainGraphic{VNC: &libvirtxml.DomainGraphicVNC{Port: 5900, AutoPort: "yes", Passwd: "s3cret", Listeners: listen}}},
		{"consolePassword absent", cmdWith(func(c *StartVmCmd) { c.ConsolePassword = nil }),
			libvirtxml.DomainGraphic{VNC: &libvirtxml.DomainGraphicVNC{Port: 5900, AutoPort: "yes", Listeners: listen}}},
		{"consoleMode other than spice is vnc", cmdWith(func(c *StartVmCmd) { c.ConsoleMode = "rdp" }),
			libvirtxml.DomainGraphic{VNC: &libvirtxml.DomainGraphicVNC{Port: 5900, AutoPort: "yes", Passwd: "s3cret", Listeners: listen}}},
		{"consoleMode spice ignores the password", cmdWith(func(c *StartVmCmd) { c.ConsoleMode = "spice"; c.SpiceStreamingMode = "filter" }),
			libvirtxml.DomainGraphic{Spice: spice("filter")}},
		{"spiceStreamingMode empty drops streaming", cmdWith(func(c *StartVmCmd) { c.ConsoleMode = "spice"; c.SpiceStreamingMode = "" }),
			libvirtxml.DomainGraphic{Spice: spice("")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStep(t, MakeGraphicConsole, tc.cmd, cfgX86, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertDomain(t, got, devicesOnly(libvirtxml.DomainDeviceList{Graphics: []libvirtxml.DomainGraphic{tc.want}}))
		})
	}
}
