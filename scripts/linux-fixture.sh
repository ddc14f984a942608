#!/usr/bin/env bash
# Builds the Linux boot fixture that tests/linux uses:
#
#   $OUT/vmlinuz     Debian bookworm's i386 "686" kernel (the unsigned build
#                    of the kernel that linux-image-686 depends on)
#   $OUT/initrd.gz   a gzip'd newc cpio with static busybox and an /init
#                    that runs a scripted session and ends with reboot -f
#   $OUT/disk.img    a 32 MiB MBR hard disk, one FAT16 partition with
#                    SYSLINUX, the same kernel and initrd and a syslinux.cfg
#
# Usage: scripts/linux-fixture.sh [OUT]      (default OUT: .cache/linux in
# the repo root; `make linux-fixture` calls it). Idempotent: the downloads
# are kept, and the images are rebuilt only when this script changes.
#
# The /init modes, chosen on the kernel command line (read from
# /proc/cmdline, so they never reach init's argv or environment):
#   (default)            the scripted session, between GOX86-SESSION-BEGIN
#                        and GOX86-SESSION-END, then reboot -f
#   gox86.interactive=1  an interactive busybox shell on the console with
#                        job control (Ctrl-C interrupts the foreground job);
#                        leaving the shell reboots
#   gox86.bench=1        print GOX86-SHELL-READY and reboot at once (the
#                        boot-to-shell benchmark)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-${LINUX_FIXTURE_DIR:-$ROOT/.cache/linux}}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
DL="$OUT/download"
mkdir -p "$DL"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

log() { echo "linux-fixture: $*"; }

# File times in the images (2000-01-01; FAT cannot go before 1980).
EPOCH=946684800
export SOURCE_DATE_EPOCH=$EPOCH

# Host tools, installed from Debian's packages when missing.
need=()
command -v cpio >/dev/null || need+=(cpio)
command -v gzip >/dev/null || need+=(gzip)
command -v mcopy >/dev/null || need+=(mtools)
command -v mkfs.fat >/dev/null || [ -x /usr/sbin/mkfs.fat ] || need+=(dosfstools)
command -v sfdisk >/dev/null || [ -x /usr/sbin/sfdisk ] || need+=(fdisk)
command -v syslinux >/dev/null || need+=(syslinux)
[ -f /usr/lib/syslinux/mbr/mbr.bin ] || need+=(syslinux-common)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
export PATH="$PATH:/usr/sbin:/sbin"

stamp="$(sha256sum "$0" | cut -c1-16)"
if [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.gz" ] && [ -f "$OUT/disk.img" ] &&
	[ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ]; then
	log "up to date in $OUT"
	ls -l "$OUT/vmlinuz" "$OUT/initrd.gz" "$OUT/disk.img"
	cat "$OUT/VERSION"
	exit 0
fi

# 1. Debian's i386 packages, through a private apt state so the host's own
# package lists and cache are left alone.
APTDIR="$DL/apt"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
touch "$APTDIR/status"
APT=(-o APT::Architecture=i386 -o APT::Architectures=i386
	-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache"
	-o Dir::State::status="$APTDIR/status" -o Debug::NoLocking=1)
if [ "$(id -u)" -eq 0 ]; then APT+=(-o APT::Sandbox::User=root); fi

have_debs() { ls "$DL"/linux-image-*_i386.deb "$DL"/busybox-static_*_i386.deb >/dev/null 2>&1; }
if ! have_debs; then
	log "fetching Debian's i386 package lists"
	# A mirror mid-sync can fail one index (often the security suite);
	# that is fine as long as the packages below resolve.
	if ! apt-get -q "${APT[@]}" update >"$DL/apt-update.log" 2>&1; then
		log "apt-get update reported errors (see $DL/apt-update.log); going on"
	fi
	meta_dep="$(apt-cache "${APT[@]}" depends linux-image-686 |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)"
	if [ -z "$meta_dep" ]; then
		echo "linux-fixture: cannot resolve the kernel linux-image-686 depends on" >&2
		exit 1
	fi
	kpkg="$meta_dep"
	case "$kpkg" in
	*-unsigned) ;;
	*)
		if apt-cache "${APT[@]}" show "$kpkg-unsigned" >/dev/null 2>&1; then
			kpkg="$kpkg-unsigned"
		fi
		;;
	esac
	log "downloading $kpkg and busybox-static (i386)"
	(cd "$DL" && apt-get -q "${APT[@]}" download "$kpkg" busybox-static)
fi
kdeb="$(ls "$DL"/linux-image-*_i386.deb | head -1)"
bdeb="$(ls "$DL"/busybox-static_*_i386.deb | head -1)"

# 2. The kernel and busybox out of the packages.
X="$OUT/extract"
rm -rf "$X"
mkdir -p "$X/kernel" "$X/busybox"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$X/kernel" --wildcards './boot/vmlinuz-*'
dpkg-deb -x "$bdeb" "$X/busybox"
vmlinuz="$(ls "$X"/kernel/boot/vmlinuz-* | head -1)"
cp "$vmlinuz" "$OUT/vmlinuz.tmp"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"

# 3. The initramfs.
R="$X/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
cp "$X/busybox/bin/busybox" "$R/bin/busybox"
chmod 755 "$R/bin/busybox"
# Symlinks for the applets /init and a person at the shell use; /init
# adds the rest with `busybox --install -s` inside the guest (the i386
# binary is never run on the build host).
for a in sh ash cat echo ls mount umount mkdir rm cp mv uname grep sed awk \
	sleep reboot poweroff halt dmesg ps kill head tail wc seq expr test [ \
	true false env printf date uptime free df du find setsid cttyhack stty \
	tty clear sync vi less more od hexdump md5sum sha256sum dd ln chmod \
	touch stat which id hostname time top cut sort uniq tr yes; do
	case "$a" in
	reboot | poweroff | halt) ln -sf ../bin/busybox "$R/sbin/$a" ;;
	*) ln -sf busybox "$R/bin/$a" ;;
	esac
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
cat >"$R/init" <<'EOF'
#!/bin/sh
# gox86 Linux fixture /init (scripts/linux-fixture.sh).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=vt100
/bin/busybox --install -s 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# Kernel messages would interleave with the session's output.
echo 1 >/proc/sys/kernel/printk
cmdline="$(cat /proc/cmdline)"
case " $cmdline " in
*" gox86.bench=1 "*)
	echo GOX86-SHELL-READY
	reboot -f
	;;
*" gox86.interactive=1 "*)
	echo GOX86-SHELL-READY
	# setsid + cttyhack: a new session whose controlling terminal is the
	# real console (ttyS0), so Ctrl-C reaches the foreground job.
	PS1='gox86# ' setsid cttyhack sh -i
	echo GOX86-SHELL-EXIT
	reboot -f
	;;
esac
echo GOX86-SESSION-BEGIN
echo '== uname'
uname -a
echo '== cpuinfo'
cat /proc/cpuinfo
echo '== arith'
i=0 sum=0
while [ $i -lt 1000 ]; do
	sum=$((sum + i * i % 7))
	i=$((i + 1))
done
echo "arith: i=$i sum=$sum"
echo '== interrupts 1'
cat /proc/interrupts
sleep 1 # at least one timer interrupt, even on a tickless idle kernel
echo '== interrupts 2'
cat /proc/interrupts
echo '== tmpfs'
echo "gox86 tmpfs line" >/tmp/probe.txt
seq 1 100 >>/tmp/probe.txt
echo "tmpfs: $(head -1 /tmp/probe.txt) lines=$(wc -l </tmp/probe.txt) last=$(tail -1 /tmp/probe.txt)"
echo "tmpfs mounts: $(grep -c '^tmpfs /tmp tmpfs ' /proc/mounts)"
echo GOX86-SESSION-END
sync
reboot -f
EOF
chmod 755 "$R/init"
# Fixed times, owners and order: the same inputs give the same bytes.
find "$R" -exec touch -h -d "@$EPOCH" {} +
(cd "$R" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --reproducible --quiet) | gzip -9 -n >"$OUT/initrd.gz.tmp"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"

# 4. The SYSLINUX disk: MBR with one active FAT16 partition from 1 MiB.
D="$OUT/disk.img.tmp"
P="$OUT/part.img.tmp"
rm -f "$D" "$P"
truncate -s 32M "$D"
printf 'label-id: 0x67786c78\nstart=2048, type=6, bootable\n' | sfdisk -q "$D"
truncate -s $((31 * 1024 * 1024)) "$P"
mkfs.fat -F 16 -n GOX86LINUX --invariant "$P" >/dev/null
cat >"$X/syslinux.cfg" <<'EOF'
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  LINUX vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0
EOF
export MTOOLS_SKIP_CHECK=1
touch -d "@$EPOCH" "$OUT/vmlinuz" "$OUT/initrd.gz" "$X/syslinux.cfg"
mcopy -m -i "$P" "$OUT/vmlinuz" ::vmlinuz
mcopy -m -i "$P" "$OUT/initrd.gz" ::initrd.gz
mcopy -m -i "$P" "$X/syslinux.cfg" ::syslinux.cfg
syslinux --install "$P"
dd if="$P" of="$D" bs=1M seek=1 conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$D" bs=440 count=1 conv=notrunc status=none
rm -f "$P"
mv "$D" "$OUT/disk.img"

{
	echo "kernel: $(basename "$kdeb") ($(basename "$vmlinuz"))"
	echo "busybox: $(basename "$bdeb")"
} >"$OUT/VERSION"
rm -rf "$X"
echo "$stamp" >"$OUT/.stamp"
log "built in $OUT"
ls -l "$OUT/vmlinuz" "$OUT/initrd.gz" "$OUT/disk.img"
cat "$OUT/VERSION"
