// Package syslinux holds the SYSLINUX bench-disk tests: real boot media
// built with Debian's tools, booted by gox86 from the firmware up.
//
// The test helper builds two images in a temporary folder, once per test
// run, from the packages syslinux, syslinux-common, mtools, dosfstools and
// fdisk:
//
//   - a 16 MiB hard disk: an MBR partition table (sfdisk) with SYSLINUX's
//     mbr.bin as boot code and one active FAT16 partition at 1 MiB
//     (mkfs.fat --offset), made bootable with
//     syslinux --install --offset 1048576;
//   - a 1.44 MB FAT12 floppy made bootable with syslinux --install.
//
// Each holds mboot.c32, libcom32.c32, bench.elf (../shared/bench) and a
// syslinux.cfg whose default entry is KERNEL mboot.c32 / APPEND
// bench.elf, so SYSLINUX loads bench as a Multiboot kernel.
//
// TestBoot builds the gox86 command and boots each image the way a user
// would, with the built-in BIOS (gox86 run --hda|--fda IMAGE --serial
// stdio) and with SeaBIOS (--bios /usr/share/seabios/bios.bin, package
// seabios), and checks bench's exact serial output and exit status 33.
// This exercises, on the built-in BIOS, INT 13h CHS (floppy) and EDD
// (hard disk), INT 15h (E820 and friends), INT 12h, INT 10h, INT 16h
// (SYSLINUX's shift-key check) and the timer interrupt; on SeaBIOS, the
// i440FX/PIIX3 PCI devices and shadow RAM, CMOS, the ATA and floppy
// controllers with DMA, the PIT, 8042 and UARTs; and in both, the
// protected-mode switches of SYSLINUX and mboot.c32.
//
// Missing packages make the tests skip, naming the package to install;
// .ci/run installs them.
package syslinux
