#!/usr/bin/env bash
# Installs what strata needs on a fresh Debian machine and, with --libvirtd,
# starts a system libvirtd (qemu:///system) the way DESIGN.md describes:
# as root, without systemd. Idempotent: safe to run again.
set -euo pipefail

want_libvirtd=0
[ "${1:-}" = "--libvirtd" ] && want_libvirtd=1

pkgs=(libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
      qemu-system-x86 qemu-utils pkg-config iproute2 procps gcc ovmf libxml2-utils
      man-db)  # man-db: the .deb test has systemd-analyze verify the unit's man:strata-agent(8)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "host-setup: missing packages (${missing[*]}) and not root: install them first" >&2
    exit 1
  fi
  echo "host-setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ $want_libvirtd -eq 1 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "host-setup: not root, cannot start libvirtd (end-to-end tests will skip)" >&2
  exit 0
fi

mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt /var/lib/libvirt/qemu
getent group kvm >/dev/null || groupadd -r kvm
if ! id libvirt-qemu >/dev/null 2>&1; then
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  useradd -r -g libvirt-qemu -G kvm libvirt-qemu
fi
conf=/etc/libvirt/qemu.conf
mkdir -p /etc/libvirt
if ! grep -q '^# strata host-setup' "$conf" 2>/dev/null; then
  printf '# strata host-setup\nuser = "root"\ngroup = "root"\ndynamic_ownership = 0\nsecurity_driver = "none"\ncgroup_controllers = [ ]\n' >> "$conf"
fi
# Hugepages for the overlay's hugepage layer: libvirtd looks for the hugetlbfs
# mount when it starts, so this comes first. Best effort: a kernel without
# hugetlbfs leaves the hugepage end-to-end test to skip.
if [ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ]; then
  cur=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
  [ "$cur" -ge 256 ] || echo 256 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages || true
  mkdir -p /dev/hugepages
  mountpoint -q /dev/hugepages || mount -t hugetlbfs hugetlbfs /dev/hugepages || true
fi
pgrep -x virtlogd >/dev/null || virtlogd -d
if ! pgrep -x libvirtd >/dev/null; then
  libvirtd -d
fi
for _ in $(seq 1 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
if virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "host-setup: libvirtd is up on qemu:///system" >&2
else
  echo "host-setup: libvirtd did not come up; end-to-end tests will skip" >&2
fi
