#!/usr/bin/env bash
# Builds the tiny test guest offline from Debian packages: the distribution kernel plus a
# busybox initramfs whose /init prints a marker on the consoles, keeps shells on ttyS0 (serial)
# and tty1 (VNC keyboard), powers off when the ACPI power button fires, and runs qemu-guest-agent
# (Debian's qemu-ga with its libraries) on the org.qemu.guest_agent.0 port when there is one.
# Booted with tinyguest.mount=vdX it mounts that ext4 disk on /mnt/data (something to freeze).
# Output in /var/lib/libvirt/images/lvc-tiny-guest/<hash of this script>/, where QEMU (the
# libvirt-qemu user) can read it wherever the checkout lives (tests/support/guest.py finds it by the
# same hash): vmlinux (the kernel uncompressed, booted through its PVH entry: about twice as fast
# under TCG, but no VGA text console), vmlinuz (the same kernel as shipped, for guests whose screen
# is looked at) and initrd.img (uncompressed). Rebuilt only when this script changes.
source "$(dirname "$0")/lib.sh"

want="$(sha256sum "$0" | cut -d' ' -f1)"
OUT="/var/lib/libvirt/images/lvc-tiny-guest/${want:0:16}"
STAMP="$OUT/.built-from"

# QEMU must be able to open the files along the whole path as libvirt's QEMU user.
qemu_can_read() {
    local user
    user="$(awk -F'"' '/^user *=/{print $2}' /etc/libvirt/qemu.conf 2>/dev/null)"
    user="${user:-libvirt-qemu}"
    id "$user" >/dev/null 2>&1 || return 0  # QEMU runs as root here
    runuser -u "$user" -- test -r "$1"
}

if [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/vmlinux" ] && [ -f "$OUT/initrd.img" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    qemu_can_read "$OUT/initrd.img" || die "QEMU's user cannot read $OUT/initrd.img: make every folder on that path searchable (o+x)"
    say "tiny test guest is up to date in $OUT"
    exit 0
fi

KERNEL="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)"
[ -n "$KERNEL" ] || die "no kernel in /boot (apt-get install linux-image-amd64)"
KVER="${KERNEL#/boot/vmlinuz-}"
BUSYBOX=/bin/busybox
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || die "$BUSYBOX is not static (apt-get install busybox-static)"
QEMU_GA=/usr/sbin/qemu-ga
[ -x "$QEMU_GA" ] || die "$QEMU_GA is missing (apt-get install qemu-guest-agent)"

say "building the tiny test guest from kernel $KVER"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,sbin,dev,proc,sys,tmp,etc,root,run,var/log,mnt/data,lib/modules}
ln -s ../run "$work/var/run"
cp "$BUSYBOX" "$work/bin/busybox"

# qemu-ga with every shared library ldd lists (and the loader), at the same paths.
cp -L "$QEMU_GA" "$work/sbin/qemu-ga"
ldd "$QEMU_GA" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$work$(dirname "$lib")"
    cp -L "$lib" "$work$lib"
done

# Kernel modules the guest needs, in dependency order, without repeats.
modules="virtio_pci virtio_blk virtio_net virtio_balloon virtio_console button evdev ext4"
: >"$work/lib/modules/load-order"
for mod in $modules; do
    modprobe -S "$KVER" --show-depends "$mod" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r path; do
    name="$(basename "$path")"
    case "$name" in
        *.ko.xz) xz -dc "$path" >"$work/lib/modules/${name%.xz}"; name="${name%.xz}" ;;
        *.ko.zst) zstd -qdc "$path" >"$work/lib/modules/${name%.zst}"; name="${name%.zst}" ;;
        *) cp "$path" "$work/lib/modules/$name" ;;
    esac
    echo "$name" >>"$work/lib/modules/load-order"
done

cat >"$work/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
PASSWD
cat >"$work/etc/group" <<'GROUP'
root:x:0:
GROUP
cat >"$work/etc/shadow" <<'SHADOW'
root:*:19000:0:99999:7:::
SHADOW
chmod 600 "$work/etc/shadow"

# qemu-ga's guest-set-user-password runs chpasswd (user:password lines on stdin; -e: already
# hashed). busybox-static has no chpasswd applet: this one hashes with mkpasswd (SHA-512).
cat >"$work/sbin/chpasswd" <<'CHPASSWD'
#!/bin/sh
while IFS= read -r line; do
    user="${line%%:*}" secret="${line#*:}"
    if [ "$1" = -e ]; then hash="$secret"; else hash="$(printf '%s\n' "$secret" | mkpasswd -m sha512)"; fi
    [ -n "$hash" ] || exit 1
    awk -F: -v OFS=: -v user="$user" -v hash="$hash" \
        '$1 == user { $2 = hash; found = 1 } { print } END { exit !found }' /etc/shadow >/tmp/shadow.new || exit 1
    cat /tmp/shadow.new >/etc/shadow && rm -f /tmp/shadow.new
done
CHPASSWD
# qemu-ga's guest-shutdown runs shutdown -P/-H/-r.
cat >"$work/sbin/shutdown" <<'SHUTDOWN'
#!/bin/sh
sync
case " $* " in *" -r "*) reboot -f ;; *" -H "*) halt -f ;; *) poweroff -f ;; esac
SHUTDOWN
chmod 755 "$work/sbin/chpasswd" "$work/sbin/shutdown"

cat >"$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
for mod in $(cat /lib/modules/load-order); do insmod "/lib/modules/$mod" 2>/dev/null; done
hostname tinyguest
for arg in $(cat /proc/cmdline); do
    case "$arg" in tinyguest.mount=*) mount -t ext4 "/dev/${arg#*=}" /mnt/data ;; esac
done

say() { for tty in /dev/ttyS0 /dev/tty0; do echo "$*" >"$tty" 2>/dev/null; done; }

# Power off when the ACPI power button fires: this makes graceful shutdown and reboot work.
watch_power_button() {
    for input in /sys/class/input/input*; do
        grep -q "Power Button" "$input/name" 2>/dev/null || continue
        for event in "$input"/event*; do
            dd if="/dev/input/${event##*/}" of=/dev/null bs=24 count=1 2>/dev/null
            say "tinyguest: power button pressed, powering off"
            sync
            poweroff -f
        done
    done
}
watch_power_button &

# Keep an interactive shell on a terminal, restarting it when it exits.
respawn_shell() {
    while true; do
        setsid sh -c "exec sh -i <$1 >$1 2>&1"
        sleep 0.2
    done
}
respawn_shell /dev/ttyS0 &
respawn_shell /dev/tty1 &

# qemu-guest-agent on the virtio-serial port named org.qemu.guest_agent.0 (no udev: find it in
# sysfs and make the /dev/virtio-ports link ourselves), restarted when it exits; not started when
# booted with tinyguest.noagent.
run_guest_agent() {
    grep -qw tinyguest.noagent /proc/cmdline && return
    for try in $(seq 50); do
        for port in /sys/class/virtio-ports/*; do
            [ "$(cat "$port/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
            mkdir -p /dev/virtio-ports
            ln -sf "/dev/${port##*/}" /dev/virtio-ports/org.qemu.guest_agent.0
            while true; do
                qemu-ga -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 \
                    -l /var/log/qemu-ga.log </dev/null >/dev/null 2>&1
                sleep 1
            done
        done
        sleep 0.2
    done
}
run_guest_agent &

say "TINYGUEST-READY"
while true; do sleep 3600; done
INIT
chmod 755 "$work/init"

# extract_vmlinux BZIMAGE OUT: the uncompressed ELF kernel inside a bzImage (boot protocol >= 2.08
# gives the payload's offset and length in the header). QEMU boots it directly through its PVH
# entry, skipping the decompression that takes most of a boot under TCG.
extract_vmlinux() {
    local setup offset length payload="$work/payload"
    setup="$(od -An -tu1 -j $((0x1f1)) -N1 "$1" | tr -d ' ')"
    [ "$setup" != 0 ] || setup=4
    offset="$(od -An -tu4 -j $((0x248)) -N4 "$1" | tr -d ' ')"
    length="$(od -An -tu4 -j $((0x24c)) -N4 "$1" | tr -d ' ')"
    dd if="$1" of="$payload" bs=1M skip=$(((setup + 1) * 512 + offset)) count="$length" iflag=skip_bytes,count_bytes \
        status=none
    case "$(od -An -tx1 -N4 "$payload" | tr -d ' ')" in
        fd377a58) xz -dc --single-stream <"$payload" ;;
        28b52ffd) zstd -qdc <"$payload" ;;
        1f8b08*) gzip -dc <"$payload" 2>/dev/null || true ;;
        *) die "$1: unknown compression of the kernel payload" ;;
    esac >"$2"
    [ "$(od -An -tx1 -N4 "$2" | tr -d ' ')" = 7f454c46 ] || die "$1: no ELF kernel inside"
    readelf -n "$2" | grep -q 'Unknown note type: (0x00000012)' \
        || die "$1 has no PVH entry (XEN_ELFNOTE_PHYS32_ENTRY): it cannot be booted uncompressed"
}

mkdir -p "$OUT"
chmod 755 "$(dirname "$OUT")" "$OUT"
# Uncompressed: unpacking a gzip initramfs costs seconds under TCG.
(cd "$work" && find . | cpio -o -H newc --quiet) >"$OUT/initrd.img.tmp"
cp "$KERNEL" "$OUT/vmlinuz.tmp"
extract_vmlinux "$KERNEL" "$OUT/vmlinux.tmp"
chmod 644 "$OUT/vmlinuz.tmp" "$OUT/vmlinux.tmp" "$OUT/initrd.img.tmp"
for file in initrd.img vmlinuz vmlinux; do mv "$OUT/$file.tmp" "$OUT/$file"; done
qemu_can_read "$OUT/initrd.img" || die "QEMU's user cannot read $OUT/initrd.img: make every folder on that path searchable (o+x)"
echo "$want" >"$STAMP"
say "tiny test guest built in $OUT: kernel $(du -h "$OUT/vmlinuz" | cut -f1) (uncompressed $(du -h "$OUT/vmlinux" | cut -f1)), initramfs $(du -h "$OUT/initrd.img" | cut -f1)"
