package vmplugin

import "libvirt.org/go/libvirtxml"

// consolePort is the seed's nominal console port; autoport picks the real one.
const consolePort = 5900

// MakeGraphicConsole is make_graphic_console: SPICE when consoleMode is
// "spice", VNC for anything else.
func MakeGraphicConsole(c *BuildContext) error {
	devs := c.Devices()
	if c.Cmd.ConsoleMode == "spice" {
		devs.Graphics = append(devs.Graphics, makeSpice(c))
	} else {
		devs.Graphics = append(devs.Graphics, makeVNC(c))
	}
	return nil
}

// listenAnywhere is <listen type="address" address="0.0.0.0"/>.
func listenAnywhere() []libvirtxml.DomainGraphicListener {
	return []libvirtxml.DomainGraphicListener{{Address: &libvirtxml.DomainGraphicListenerAddress{Address: "0.0.0.0"}}}
}

// makeVNC is make_vnc; the password attribute only when consolePassword
// was sent.
func makeVNC(c *BuildContext) libvirtxml.DomainGraphic {
	vnc := &libvirtxml.DomainGraphicVNC{Port: consolePort, AutoPort: "yes", Listeners: listenAnywhere()}
	if c.Cmd.ConsolePassword != nil {
		vnc.Passwd = *c.Cmd.ConsolePassword
	}
	return libvirtxml.DomainGraphic{VNC: vnc}
}

// makeSpice is make_spice: compression tuned for WAN (glz images, always
// jpeg, no zlib, no audio compression), client mouse, and file transfer and
// clipboard sharing off.
func makeSpice(c *BuildContext) libvirtxml.DomainGraphic {
	spice := &libvirtxml.DomainGraphicSpice{
		Port:         consolePort,
		AutoPort:     "yes",
		Listeners:    listenAnywhere(),
		Image:        &libvirtxml.DomainGraphicSpiceImage{Compression: "auto_glz"},
		JPEG:         &libvirtxml.DomainGraphicSpiceJPEG{Compression: "always"},
		ZLib:         &libvirtxml.DomainGraphicSpiceZLib{Compression: "never"},
		Playback:     &libvirtxml.DomainGraphicSpicePlayback{Compression: "off"},
		Mouse:        &libvirtxml.DomainGraphicSpiceMouse{Mode: "client"},
		FileTransfer: &libvirtxml.DomainGraphicSpiceFileTransfer{Enable: "no"},
		ClipBoard:    &libvirtxml.DomainGraphicSpiceClipBoard{CopyPaste: "no"},
	}
	// <streaming> requires its mode: an empty spiceStreamingMode drops the
	// element (see the deviation table in package upstream).
	if c.Cmd.SpiceStreamingMode != "" {
		spice.Streaming = &libvirtxml.DomainGraphicSpiceStreaming{Mode: c.Cmd.SpiceStreamingMode}
	}
	return libvirtxml.DomainGraphic{Spice: spice}
}
