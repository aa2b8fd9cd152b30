#!/usr/bin/env bash
# Installs libvirt + QEMU when missing, starts virtlogd and libvirtd without systemd,
# and builds the tiny test guest. Idempotent: a second run only checks.
source "$(dirname "$0")/lib.sh"

apt_install libvirt-daemon-system qemu-system-x86 qemu-utils libvirt-clients libvirt-dev \
    pkg-config linux-image-amd64 busybox-static kmod cpio openssh-server openssh-client \
    qemu-guest-agent e2fsprogs binutils xz-utils zstd

virsh_answers() { timeout 5 virsh -c qemu:///system version; }

# Daemons must not keep the caller's open files: a libvirtd started under
# `flock <lock> make ...` would otherwise hold that lock for as long as it runs.
without_inherited_fds() {
    bash -c 'for p in /proc/$$/fd/*; do fd=${p##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
           exec "$@"' bash "$@"
}

if ! virsh_answers >/dev/null 2>&1; then
    require_root_debian
    pgrep -x virtlogd >/dev/null || without_inherited_fds virtlogd -d
    if ! pgrep -x libvirtd >/dev/null; then
        say "starting libvirtd"
        # A private mount namespace without the cgroup2 mount lets per-CPU stats and LXC work
        # (see shared/ENVIRONMENT.md); where the unified mount is absent this is a plain start.
        without_inherited_fds unshare -m --propagation private sh -c \
            'umount /sys/fs/cgroup/unified 2>/dev/null; exec libvirtd -d'
    fi
    wait_for 60 virsh_answers || die "libvirtd does not answer on qemu:///system (see /var/log/libvirt)"
fi
say "libvirtd answers: $(virsh -c qemu:///system version | awk '/Running hypervisor/{print $3, $4}')"

"$ROOT/scripts/build-test-guest.sh"
