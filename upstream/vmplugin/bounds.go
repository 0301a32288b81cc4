package vmplugin

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Bounds of the numbers a StartVmCmd carries. Each is libvirt's or QEMU's
// own limit (or the management node's, where it is the only one), so a
// command outside them fails early with a named error instead of inside
// libvirt, QEMU or this process: cpuNum 2147483647 made the in-process test
// driver allocate 16 GiB at define, VDIMonitorNumber 2147483647 ran the
// video step out of memory.
const (
	// maxVCPUsAnyType is the most vCPUs libvirt's QEMU driver accepts for
	// any domain type: virConnectGetMaxVcpus("qemu") answers
	// QEMU_GUEST_VCPU_MAX_ID (4096, src/qemu/qemu_domain.h). Validate uses
	// it when no host can say more precisely.
	maxVCPUsAnyType = 4096
	// maxVCPUsPC is QEMU's limit for the seed's x86 machine type "pc"
	// (i440fx): "The max CPUs supported by machine 'pc-i440fx-7.2' is 255"
	// (hw/i386/pc_piix.c, max_cpus = 255: APIC id 255 is the broadcast id).
	maxVCPUsPC = 255
	// maxVCPUsVirt is QEMU's limit for aarch64's default machine "virt"
	// with GICv3 (hw/arm/virt.c, max_cpus = 512).
	maxVCPUsVirt = 512

	// maxCPUShares is the largest <cputune><shares> libvirt takes:
	// "shares '%llu' must be in range [2, 262144]" on cgroup v1, the
	// wider of its two ranges (v2 is [1, 10000]). 0, which the management
	// node sends (cpuSpeed 0), leaves the kernel's default.
	maxCPUShares = 262144

	// maxMemoryBytes is the seed's own memory ceiling: the NUMA branch
	// declares <maxMemory> 64 TiB (numaMaxMemoryKiB), and libvirt refuses
	// memory above maxMemory ("cannot set initial memory size greater than
	// the maximum memory size"). The same ceiling holds in both branches.
	maxMemoryBytes = numaMaxMemoryKiB * 1024
	// minMemoryBytes is one KiB: libvirt refuses <memory> 0.
	minMemoryBytes = 1024

	// maxQXLMonitors: one qxl card per monitor is how Windows guests get
	// several displays, and the QXL drivers support up to 4 displays
	// (https://www.spice-space.org/multiple-monitors.html).
	maxQXLMonitors = 4

	// maxIOTune is libvirt's QEMU_BLOCK_IOTUNE_MAX (1e15): "block I/O
	// throttle limit value must be no more than %llu", the same as QEMU's
	// THROTTLE_VALUE_MAX, for bytes and for operations per second.
	maxIOTune = 1_000_000_000_000_000
	// maxBandwidthKiB is the <bandwidth> average's type in libvirt's
	// schema (networkcommon.rng "speed": unsignedInt, minInclusive 1), in
	// KiB/s; NicQos values are bits/s and become KiB/s by / 8192.
	maxBandwidthKiB   = 1<<32 - 1
	bitsPerKiB        = 8 * 1024
	maxBandwidthBits  = (maxBandwidthKiB+1)*bitsPerKiB - 1
	minBandwidthBits  = bitsPerKiB
	maxTimeoutSeconds = 3 * 60 * 60 // the management node's ApiTimeout of a start (mn-contract.md): a longer wait outlives its caller
	maxTCPPort        = 65535
	// maxIfNameLen is the kernel's IFNAMSIZ - 1: the tap device libvirt
	// creates for <target dev> cannot have a longer name.
	maxIfNameLen = 15
)

// VCPULimiter is a Host that can say how many vCPUs a domain of a type
// may have. LiveHost asks libvirt; OfflineHost answers QEMU's documented
// machine limits. A Host without it is held to maxVCPUsAnyType.
type VCPULimiter interface {
	MaxVCPUs(ctx context.Context, domainType, arch string) (int, error)
}

// MaxVCPUs asks libvirt: the domain capabilities of the seed's machine
// type (they fold in the machine's and KVM's limits), else
// virConnectGetMaxVcpus for the domain type.
func (h *LiveHost) MaxVCPUs(ctx context.Context, domainType, arch string) (int, error) {
	machine := ""
	if arch != ArchAarch64 {
		machine = "pc"
	}
	var n int
	err := h.Conn.Do(func(c *libvirt.Connect) error {
		if x, err := c.GetDomainCapabilities("", arch, machine, domainType, 0); err == nil {
			var caps libvirtxml.DomainCaps
			if caps.Unmarshal(x) == nil && caps.VCPU != nil && caps.VCPU.Max > 0 {
				n = int(caps.VCPU.Max)
				return nil
			}
		}
		m, err := c.GetMaxVcpus(domainType)
		if err != nil {
			return fmt.Errorf("max vcpus for domain type %s: %w", domainType, err)
		}
		n = m
		return nil
	})
	return n, err
}

// MaxVCPUs answers QEMU's limit for the machine the builder writes: "pc"
// on x86, "virt" on aarch64.
func (OfflineHost) MaxVCPUs(_ context.Context, _, arch string) (int, error) {
	if arch == ArchAarch64 {
		return maxVCPUsVirt, nil
	}
	return maxVCPUsPC, nil
}

// ValidateFor is Validate with the vCPU bound the host gives for the
// configured domain type (`cpuNum: 2147483647 exceeds the maximum of 255
// vCPUs for domain type kvm`). It makes at most one cheap libvirt call and
// runs before anything slow (image probing, iscsi logins, define).
func (cmd *StartVmCmd) ValidateFor(ctx context.Context, cfg Config, host Host) error {
	lim := staticLimits
	if l, ok := host.(VCPULimiter); ok && cmd != nil {
		// A host that cannot tell (libvirtd down) leaves the static bound:
		// the start then fails at its first real libvirt call, which says why.
		if n, err := l.MaxVCPUs(ctx, cfg.DomainType, cfg.Arch); err == nil && n > 0 {
			lim = limits{maxVCPUs: n, vcpuSource: "for domain type " + cfg.DomainType}
		}
	}
	return cmd.validate(lim)
}

// limits are the host-dependent bounds Validate checks.
type limits struct {
	maxVCPUs   int
	vcpuSource string // ends "exceeds the maximum of N vCPUs <source>"
}

var staticLimits = limits{maxVCPUs: maxVCPUsAnyType, vcpuSource: "libvirt accepts (QEMU_GUEST_VCPU_MAX_ID)"}

// checkBounds checks every number of cmd against its bound and every
// deviceId against the others of its kind. Errors name the field as JSON
// does and state the bound.
func (cmd *StartVmCmd) checkBounds(lim limits) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	// vCPUs. The NUMA branch writes a fixed <vcpu> of numaMaxVCPUs with
	// cpuNum as current, and a fixed topology, so socketNum and
	// cpuOnSocket are not read there.
	maxCPU := lim.maxVCPUs
	switch {
	case cmd.CPUNum < 1:
		add("cpuNum: %d is below the minimum of 1", cmd.CPUNum)
	case cmd.CPUNum > maxCPU:
		add("cpuNum: %d exceeds the maximum of %d vCPUs %s", cmd.CPUNum, maxCPU, lim.vcpuSource)
	case cmd.UseNuma && cmd.CPUNum > numaMaxVCPUs:
		add("cpuNum: %d exceeds the NUMA maximum of %d vCPUs (<vcpu current> cannot exceed <vcpu>)", cmd.CPUNum, numaMaxVCPUs)
	}
	if !cmd.UseNuma {
		topo := true
		for _, f := range []struct {
			name string
			v    int
		}{{"socketNum", cmd.SocketNum}, {"cpuOnSocket", cmd.CPUOnSocket}} {
			switch {
			case f.v < 1:
				add("%s: %d is below the minimum of 1", f.name, f.v)
				topo = false
			case f.v > maxCPU:
				add("%s: %d exceeds the maximum of %d vCPUs %s", f.name, f.v, maxCPU, lim.vcpuSource)
				topo = false
			}
		}
		// Both are at most maxCPU here, so the product cannot overflow.
		if topo && cmd.CPUNum >= 1 && cmd.SocketNum*cmd.CPUOnSocket != cmd.CPUNum {
			add("socketNum * cpuOnSocket: %d * %d = %d does not match cpuNum %d (libvirt: CPU topology doesn't match the desired vcpu count)",
				cmd.SocketNum, cmd.CPUOnSocket, cmd.SocketNum*cmd.CPUOnSocket, cmd.CPUNum)
		}
	}
	switch {
	case cmd.CPUSpeed < 0:
		add("cpuSpeed: %d is negative", cmd.CPUSpeed)
	case cmd.CPUSpeed > maxCPUShares:
		add("cpuSpeed: %d exceeds the maximum of %d cpu shares", cmd.CPUSpeed, maxCPUShares)
	case cmd.CPUNum >= 1 && cmd.CPUNum <= maxCPU && cmd.CPUSpeed*int64(cmd.CPUNum) > maxCPUShares:
		add("cpuSpeed: cpuSpeed * cpuNum = %d * %d = %d exceeds the maximum of %d cpu shares",
			cmd.CPUSpeed, cmd.CPUNum, cmd.CPUSpeed*int64(cmd.CPUNum), maxCPUShares)
	}

	// memory is bytes. maxMemory is not checked: the builder never reads it.
	switch {
	case cmd.Memory < minMemoryBytes:
		add("memory: %d bytes is below the minimum of %d (1 KiB)", cmd.Memory, minMemoryBytes)
	case cmd.Memory > maxMemoryBytes:
		add("memory: %d bytes exceeds the maximum of %d (64 TiB)", cmd.Memory, int64(maxMemoryBytes))
	}
	if cmd.VideoType == "qxl" && (cmd.VDIMonitorNumber < 0 || cmd.VDIMonitorNumber > maxQXLMonitors) {
		add("VDIMonitorNumber: %d is out of range [0, %d] qxl monitors", cmd.VDIMonitorNumber, maxQXLMonitors)
	}
	if cmd.VMInternalID < 0 {
		add("vmInternalId: %d is negative", cmd.VMInternalID)
	}
	if cmd.Timeout < 0 || cmd.Timeout > maxTimeoutSeconds {
		add("timeout: %d is out of range [0, %d] seconds", cmd.Timeout, maxTimeoutSeconds)
	}

	// Volumes: one disk letter each (DeviceLetters), no two alike.
	vols := map[int]string{}
	volume := func(field string, v *VolumeTO) {
		checkPorts(field, v.MonInfo, add)
		id := v.DeviceID
		switch {
		case id < 0:
			add("%s.deviceId: %d is negative", field, id)
			return
		case id >= len(DeviceLetters):
			add("%s.deviceId: exceeds max disk limit, it's %d but only 26 allowed", field, id)
			return
		}
		if other, dup := vols[id]; dup {
			add("%s.deviceId: %d is also the deviceId of %s", field, id, other)
			return
		}
		vols[id] = field
	}
	if cmd.RootVolume != nil {
		volume("rootVolume", cmd.RootVolume)
	}
	for i := range cmd.DataVolumes {
		volume(fmt.Sprintf("dataVolumes[%d]", i), &cmd.DataVolumes[i])
	}

	// ISOs: one cdrom slot each (x86's three; aarch64's one is MakeCdrom's).
	isos := map[int]string{}
	for i, iso := range cmd.BootIso {
		field := fmt.Sprintf("bootIso[%d]", i)
		checkPorts(field, iso.MonInfo, add)
		switch id := iso.DeviceID; {
		case id < 0 || id >= len(x86CdromSlots):
			add("%s.deviceId: %d is out of range [0, %d] cdrom slots", field, id, len(x86CdromSlots)-1)
		case isos[id] != "":
			add("%s.deviceId: %d is also the deviceId of %s", field, id, isos[id])
		default:
			isos[id] = field
		}
	}

	// NICs: the deviceId is only a name here (net<id>), but two alike are
	// two NICs claiming one slot of the management node's.
	nics := map[int]string{}
	for i, nic := range cmd.Nics {
		field := fmt.Sprintf("nics[%d]", i)
		switch id := nic.DeviceID; {
		case id < 0:
			add("%s.deviceId: %d is negative", field, id)
		case nics[id] != "":
			add("%s.deviceId: %d is also the deviceId of %s", field, id, nics[id])
		default:
			nics[id] = field
		}
		if len(nic.NicInternalName) > maxIfNameLen {
			add("%s.nicInternalName: %q is longer than the kernel's %d-byte interface names", field, nic.NicInternalName, maxIfNameLen)
		}
	}

	if a := cmd.Addons; a != nil {
		for _, k := range sortedKeys(a.VolumeQos) {
			q := a.VolumeQos[k]
			for _, f := range []struct {
				name string
				v    int64
			}{{"totalBandwidth", q.TotalBandwidth}, {"totalIops", q.TotalIops}} {
				if f.v < 0 || f.v > maxIOTune {
					add("addons.VolumeQos[%s].%s: %d is out of range [0, %d]", k, f.name, f.v, int64(maxIOTune))
				}
			}
		}
		for _, k := range sortedKeys(a.NicQos) {
			q := a.NicQos[k]
			for _, f := range []struct {
				name string
				v    int64
			}{{"outboundBandwidth", q.OutboundBandwidth}, {"inboundBandwidth", q.InboundBandwidth}} {
				// 0 means no limit in that direction.
				if f.v != 0 && (f.v < minBandwidthBits || f.v > maxBandwidthBits) {
					add("addons.NicQos[%s].%s: %d bits/s is out of range [%d, %d] (libvirt's average of 1 to %d KiB/s)",
						k, f.name, f.v, minBandwidthBits, int64(maxBandwidthBits), int64(maxBandwidthKiB))
				}
			}
		}
	}
	return errs
}

func checkPorts(field string, mons []MonInfo, add func(string, ...any)) {
	for i, m := range mons {
		if m.Port < 0 || m.Port > maxTCPPort {
			add("%s.monInfo[%d].port: %d is out of range [0, %d]", field, i, m.Port, maxTCPPort)
		}
	}
}

// sortedKeys keeps the error order of one command stable across runs.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
