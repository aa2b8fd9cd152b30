#!/usr/bin/env bash
# Builds the tiny test guest offline from Debian packages: the distribution kernel plus a
# busybox initramfs whose /init prints a marker on the consoles, keeps shells on ttyS0 (serial)
# and tty1 (VNC keyboard), and powers off when the ACPI power button fires.
# Output: .hypervisor/vmlinuz and .hypervisor/initrd.img (rebuilt only when this script changes).
source "$(dirname "$0")/lib.sh"

OUT="$ROOT/.hypervisor"
STAMP="$OUT/.built-from"
want="$(sha256sum "$0" | cut -d' ' -f1)"
if [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    say "tiny test guest is up to date in $OUT"
    exit 0
fi

KERNEL="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)"
[ -n "$KERNEL" ] || die "no kernel in /boot (apt-get install linux-image-amd64)"
KVER="${KERNEL#/boot/vmlinuz-}"
BUSYBOX=/bin/busybox
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || die "$BUSYBOX is not static (apt-get install busybox-static)"

say "building the tiny test guest from kernel $KVER"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,sbin,dev,proc,sys,tmp,etc,root,lib/modules}
cp "$BUSYBOX" "$work/bin/busybox"

# Kernel modules the guest needs, in dependency order, without repeats.
modules="virtio_pci virtio_blk virtio_net virtio_balloon virtio_console button evdev"
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

cat >"$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
for mod in $(cat /lib/modules/load-order); do insmod "/lib/modules/$mod" 2>/dev/null; done
hostname tinyguest

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

say "TINYGUEST-READY"
while true; do sleep 3600; done
INIT
chmod 755 "$work/init"

mkdir -p "$OUT"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -9) >"$OUT/initrd.img.tmp"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
cp "$KERNEL" "$OUT/vmlinuz"
chmod 755 "$OUT"
chmod 644 "$OUT/vmlinuz" "$OUT/initrd.img"
echo "$want" >"$STAMP"
say "tiny test guest built: $(du -h "$OUT/vmlinuz" | cut -f1) kernel, $(du -h "$OUT/initrd.img" | cut -f1) initramfs"
