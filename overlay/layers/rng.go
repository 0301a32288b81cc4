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

// Rng adds a virtio-rng device.
var Rng = layer.Layer{
	Name: "rng",
	Doc: `A virtio-rng device fed from the host's /dev/urandom, with an optional rate limit.

	"ex": {"rng": {"backend": "/dev/urandom", "rate": {"bytes": 1024, "period": 1000}}}

backend is /dev/urandom (default), /dev/random or /dev/hwrng; rate allows
bytes per period milliseconds.`,
	Reads:   []string{"ex.rng.backend", "ex.rng.rate.bytes", "ex.rng.rate.period"},
	Writes:  []string{"/domain/devices/rng"},
	Applies: func(c *layer.Context) bool { e := ex(c); return e != nil && e.Rng != nil },
	Apply:   applyRng,
}

func applyRng(c *layer.Context) error {
	r, d := ex(c).Rng, c.Domain
	backend := r.Backend
	if backend == "" {
		backend = "/dev/urandom"
	}
	if !slices.Contains(rngBackends, backend) {
		return fmt.Errorf("ex.rng.backend: %q: want one of %v", r.Backend, rngBackends)
	}
	rng := libvirtxml.DomainRNG{
		Model:   "virtio",
		Backend: &libvirtxml.DomainRNGBackend{Random: &libvirtxml.DomainRNGBackendRandom{Device: backend}},
	}
	if r.Rate != nil {
		if r.Rate.Bytes == 0 {
			return fmt.Errorf("ex.rng.rate.bytes: must be positive")
		}
		rng.Rate = &libvirtxml.DomainRNGRate{Bytes: r.Rate.Bytes, Period: r.Rate.Period}
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	if slices.ContainsFunc(d.Devices.RNGs, func(x libvirtxml.DomainRNG) bool { return x.Model == "virtio" }) {
		return fmt.Errorf("ex.rng: the domain already has a virtio rng")
	}
	d.Devices.RNGs = append(d.Devices.RNGs, rng)
	return nil
}
