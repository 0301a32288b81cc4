package layers

import (
	"fmt"
	"slices"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// rngBackends are the host entropy sources libvirt's qemu driver accepts
// for <backend model='random'> by default (qemu.conf rng_allowed_dev style).
var rngBackends = []string{"/dev/urandom", "/dev/random", "/dev/hwrng"}

// RngEx is the ex.rng block: a virtio-rng device.
type RngEx struct {
	Backend string   `json:"backend,omitempty"` // /dev/urandom (default), /dev/random or /dev/hwrng
	Rate    *RngRate `json:"rate,omitempty"`
}

// RngRate limits the entropy the guest may draw.
type RngRate struct {
	Bytes  uint64 `json:"bytes"`
	Period uint64 `json:"period,omitempty"` // milliseconds
}

// maxRngRate is libvirt's bound on <rate bytes> and period (unsigned int).
const maxRngRate = 1<<32 - 1

var rngBlock = &layer.Block[RngEx]{Name: "rng", Validate: validateRng}

// Rng adds a virtio-rng device.
var Rng = layer.Layer{
	Name: "rng",
	Doc: `A virtio-rng device fed from the host's /dev/urandom, with an optional rate limit.

	"ex": {"rng": {"backend": "/dev/urandom", "rate": {"bytes": 1024, "period": 1000}}}

backend is /dev/urandom (default), /dev/random or /dev/hwrng; rate allows
bytes per period milliseconds.`,
	Reads:   []string{"ex.rng.backend", "ex.rng.rate.bytes", "ex.rng.rate.period"},
	Writes:  []string{"/domain/devices/rng"},
	Ex:      rngBlock,
	Apply:   applyRng,
	Records: true,
}

func (r *RngEx) backend() string {
	if r.Backend == "" {
		return "/dev/urandom"
	}
	return r.Backend
}

func validateRng(r *RngEx, _ *layer.Check) error {
	if !slices.Contains(rngBackends, r.backend()) {
		return fmt.Errorf("ex.rng.backend: %q: want one of %v", truncate(r.Backend), rngBackends)
	}
	if r.Rate == nil {
		return nil
	}
	switch {
	case r.Rate.Bytes == 0:
		return fmt.Errorf("ex.rng.rate.bytes: must be positive")
	case r.Rate.Bytes > maxRngRate:
		return fmt.Errorf("ex.rng.rate.bytes: %d is above %d, the most libvirt takes", r.Rate.Bytes, uint64(maxRngRate))
	case r.Rate.Period > maxRngRate:
		return fmt.Errorf("ex.rng.rate.period: %d ms is above %d, the most libvirt takes", r.Rate.Period, uint64(maxRngRate))
	}
	return nil
}

func applyRng(c *layer.Context) error {
	r, d := rngBlock.In(c), c.Domain
	rng := libvirtxml.DomainRNG{
		Model:   "virtio",
		Backend: &libvirtxml.DomainRNGBackend{Random: &libvirtxml.DomainRNGBackendRandom{Device: r.backend()}},
	}
	if r.Rate != nil {
		rng.Rate = &libvirtxml.DomainRNGRate{Bytes: uint(r.Rate.Bytes), Period: uint(r.Rate.Period)}
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{RNGs: []libvirtxml.DomainRNG{rng}}
		c.Changed("/domain", d, layer.Before("devices", (*libvirtxml.DomainDeviceList)(nil)))
		return nil
	}
	if slices.ContainsFunc(d.Devices.RNGs, func(x libvirtxml.DomainRNG) bool { return x.Model == "virtio" }) {
		return fmt.Errorf("ex.rng: the domain already has a virtio rng")
	}
	was := d.Devices.RNGs
	d.Devices.RNGs = append(was, rng) // was keeps its length: its items stay
	c.Changed("/domain/devices", d.Devices, layer.Before("rng", was))
	return nil
}
