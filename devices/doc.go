// Package devices holds the PC's chips, one file per chip: the 8259A
// interrupt controllers, the 8254 timer, 16550A UARTs, the MC146818 RTC,
// the 8042 keyboard controller, VGA, ATA, the floppy controller with 8237
// DMA, PCI configuration space and the debug ports. It also holds what
// they share: the port-I/O bus, interrupt lines and the virtual clock.
//
// Devices never import the cpu package. They see the CPU only as a
// consumer of the port bus and of the INTR line the PIC drives, and they
// see time only through the Clock, which the machine advances with
// retired instructions so runs are deterministic.
package devices
