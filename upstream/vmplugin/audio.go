package vmplugin

import "libvirt.org/go/libvirtxml"

// MakeAudioMicrophone is make_audio_microphone: an ich6 sound card, only
// for SPICE consoles (VNC carries no audio).
func MakeAudioMicrophone(c *BuildContext) error {
	if c.Cmd.ConsoleMode != "spice" {
		return nil
	}
	devs := c.Devices()
	devs.Sounds = append(devs.Sounds, libvirtxml.DomainSound{Model: "ich6"})
	return nil
}
