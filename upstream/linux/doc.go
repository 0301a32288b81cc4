// Package linux ports the helpers of zstacklib's linux.py that the agent
// needs: image formats and sizes through qemu-img, file and filesystem sizes,
// bridges and VLAN devices through iproute2, qemu processes, and the CPU,
// memory and version facts of the host plugin.
//
// Every external program runs through upstream/shell as an argv vector;
// nothing here builds a shell command line. Kernel state is read from
// /proc and /sys through a Root, so tests can point it at fixture trees.
//
// Deviations from the seed (linux.py at zstack-utility 3324ee26), on purpose:
//
//	helper                      seed                                  here
//	get_img_fmt                 text of `qemu-img info`               `qemu-img info --output=json -U`, "format"
//	qemu-img info (all)         no lock flag (qemu of 2018 had none)  --force-share, so images of running VMs can be read
//	qcow2_get_file_chain        qemu-img info per link                one `qemu-img info --backing-chain`
//	mkdir on a regular file     renames it to <path>-bak              error: the path is a file
//	bridges / VLANs             brctl, vconfig, ifconfig              ip link (iproute2) only
//	find bridge of an iface     `brctl show` (first port only)        /sys/class/net/<if>/brport/bridge
//	delete_bridge / vlan        any device name                       refuses a device that is not a bridge / VLAN
//	create_bridge, no iface     bridge made, then the error           error before anything is made
//	create_bridge route move    re-added without dev, "onlink" cut    re-added with "dev <bridge>", flags kept
//	create_vlan_eth ip/netmask  optional address on the VLAN device   not taken (no caller passes it)
//	checkstate fallback         ps x | grep -w qemu | grep -w <uuid>  /proc/*/cmdline, argv0 basename contains "qemu"
//	vmsync qemu guests          ps x | grep -E -o ... | awk -F=       /proc/*/cmdline, every user's processes
//	get_cpu_num                 lines containing "processor"          lines whose key is "processor"
//	get_cpu_speed               3 tries 3 s apart; aarch64 dmidecode  one read; no dmidecode
//	cpu sockets                 0 when no "physical id"               1 when no "physical id"
package linux
