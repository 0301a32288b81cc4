// Package linux2 extends upstream/linux, the stock agent's port of
// zstacklib's linux.py, with the host facts the overlay's patch layers need.
// It wraps upstream/linux and upstream/shell and never edits or copies them.
//
// One job per file:
//
//	root.go          Host: the filesystem root every read goes through, and the command runner
//	backingchain.go  an image's backing chain, from `qemu-img info --backing-chain --output=json`
//	hugepages.go     hugepage sizes and pools (/sys/kernel/mm/hugepages, /proc/meminfo), hugetlbfs mounts (/proc/mounts)
//	cpus.go          the kernel's CPU list syntax ("0-3,6,8-9"), online CPUs and their topology (/sys/devices/system/cpu)
//	ovmf.go          OVMF firmware: QEMU firmware descriptors (/usr/share/qemu/firmware, /etc/qemu/firmware), then Debian's ovmf file names
//	vhost.go         whether /dev/vhost-net exists
//	capacity.go      host capacity from upstream/linux, behind a short-lived, single-flight cache
//
// Every file is read through Host.Root, so tests point a Host at a fixture
// tree under testdata/<case>/ holding sys/..., proc/..., usr/..., dev/....
// Paths a Host returns (firmware files, descriptors) are the host's own
// absolute paths, as libvirt will open them, not Root-joined ones; paths in
// errors are the ones actually read.
//
// *Host satisfies the overlay's host interface (overlay/layer):
//
//	OnlineCPUs() ([]int, error)
//	FreeHugepages(sizeKiB uint64) (uint64, error)
//	OVMF(secureBoot bool) (code, varsTemplate string, err error)
//	HasVhostNet() bool
package linux2
