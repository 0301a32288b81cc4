package layers

import (
	"fmt"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

var (
	watchdogModels  = []string{"i6300esb", "ib700", "itco"}
	watchdogActions = []string{"reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi"}
)

// WatchdogEx is the ex.watchdog block.
type WatchdogEx struct {
	Model  string `json:"model"`            // i6300esb | ib700 | itco
	Action string `json:"action,omitempty"` // reset (default) | shutdown | poweroff | pause | none | dump | inject-nmi
}

var watchdogBlock = &layer.Block[WatchdogEx]{Name: "watchdog", Validate: validateWatchdog}

// Watchdog adds a watchdog device.
var Watchdog = layer.Layer{
	Name: "watchdog",
	Doc: `A watchdog device (i6300esb, ib700, or itco on q35) and what the host does when it fires.

	"ex": {"watchdog": {"model": "i6300esb", "action": "reset"}}

action is reset (default), shutdown, poweroff, pause, none, dump or
inject-nmi. itco is part of q35's ICH9 chipset: it needs ex.machine, and
libvirt 9.2 or later (9.0 answers "unknown watchdog model 'itco'").`,
	Reads:   []string{"ex.watchdog.model", "ex.watchdog.action"},
	Writes:  []string{"/domain/devices/watchdog"},
	Ex:      watchdogBlock,
	Apply:   applyWatchdog,
	Records: true,
}

func (w *WatchdogEx) action() string {
	if w.Action == "" {
		return "reset"
	}
	return w.Action
}

func validateWatchdog(w *WatchdogEx, c *layer.Check) error {
	if !slices.Contains(watchdogModels, w.Model) {
		return fmt.Errorf("ex.watchdog.model: %q: want one of %v", truncate(w.Model), watchdogModels)
	}
	if !slices.Contains(watchdogActions, w.action()) {
		return fmt.Errorf("ex.watchdog.action: %q: want one of %v", truncate(w.Action), watchdogActions)
	}
	if w.Model == "itco" && machineBlock.Of(c.Cmd) == nil {
		return fmt.Errorf("ex.watchdog.model: itco is built into q35's ICH9: it needs ex.machine")
	}
	if v, ok := c.Host.(layer.LibvirtVersioner); ok && w.Model == "itco" {
		if have, err := v.LibvirtVersion(); err == nil && have < minLibvirtITCO {
			return fmt.Errorf("ex.watchdog.model: itco needs libvirt %s or later; this host runs libvirt %s", libvirtVersion(minLibvirtITCO), libvirtVersion(have))
		}
	}
	return nil
}

// minLibvirtITCO is the first libvirt that knows the itco watchdog model (9.2.0).
const minLibvirtITCO = 9002000

// libvirtVersion formats libvirt's version number: 9002000 is "9.2.0".
func libvirtVersion(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}

func applyWatchdog(c *layer.Context) error {
	w, d := watchdogBlock.In(c), c.Domain
	action := w.action()
	if w.Model == "itco" {
		machine := ""
		if d.OS != nil && d.OS.Type != nil {
			machine = d.OS.Type.Machine
		}
		if !strings.Contains(machine, "q35") {
			return fmt.Errorf("ex.watchdog.model: itco is built into q35's ICH9; this domain's machine is %q (set ex.machine)", machine)
		}
	}
	dog := libvirtxml.DomainWatchdog{Model: w.Model, Action: action}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{Watchdogs: []libvirtxml.DomainWatchdog{dog}}
		c.Changed("/domain", d, layer.Before("devices", (*libvirtxml.DomainDeviceList)(nil)))
		return nil
	}
	if len(d.Devices.Watchdogs) > 0 {
		return fmt.Errorf("ex.watchdog: the domain already has a %s watchdog", d.Devices.Watchdogs[0].Model)
	}
	d.Devices.Watchdogs = []libvirtxml.DomainWatchdog{dog}
	c.Changed("/domain/devices", d.Devices, layer.Before("watchdog", []libvirtxml.DomainWatchdog(nil)))
	return nil
}
