// Package hostplugin ports kvmagent's host_plugin.py: the URIs through which
// the management node connects to a host and reads its capacity and facts.
//
// Not ported from the seed: connect's USB udev rule and reporting script
// (/etc/udev/rules.d/usb.rules, /usr/bin/_report_device_event.py), the
// cleanup of stale vm-<id>-vnc iptables chains at start and on connect, the
// removal of libvirt's autostart default network at start, and the URIs
// /host/usbdevice/get and /host/mountableprimarystorageheartbeat.
//
// Differences from the seed, on purpose:
//   - iptablesRules absent reads as an empty list (the seed failed on len(None)).
//   - A rule becomes argv through a strict tokenizer; a rule with a shell
//     metacharacter is refused, and every rule is parsed before any is applied.
//   - iptables runs with -w (the seed took the xtables lock file itself); the
//     -C check keeps a leading "-t table" and drops an -I position number,
//     which the seed's "rule minus its first word" got wrong.
//   - The libvirt and qemu versions are read on first use, not at start.
//   - cpuSockets is 1, not 0, when /proc/cpuinfo has no "physical id".
package hostplugin
