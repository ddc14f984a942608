package main

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

//go:embed demo/demo.bin
var demoImage []byte

// demoOSImage is the demo OS boot floppy (demoos/), gzip-compressed.
//
//go:embed demoos/demo.img.gz
var demoOSImage []byte

// runDescription is the long help of `gox86 run`.
const runDescription = `With no image flags, run boots the built-in demo OS (a boot floppy that
narrates the path from the BIOS to protected mode, paging and interrupts,
then echoes keys) and exits with status 0 when it ends.

Display: --display term draws the VGA text screen in this terminal, with
colours; none draws nothing. The default is term when stdout is a
terminal, the guest is booted by the firmware (the demo, a disk or a
Linux kernel; not --raw, --raw-demo or a Multiboot kernel) and neither
--serial nor --debugcon is stdio; otherwise none. The debug console
(--debugcon auto, the default) prints to stdout unless the display or
--serial stdio uses it.

Keyboard: with the display on, stdin is typed on the guest's keyboard;
with --serial stdio, it goes to COM1. When stdin is a terminal it is put
in raw mode and the virtual clock follows the host's (--realtime, unless
--realtime=false is given).

` + escapeHelp

func runCommand(status *int, s streams) *cli.Command {
	return &cli.Command{
		Name:        "run",
		Usage:       "run a guest (with no image: the built-in demo OS)",
		Description: runDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "raw", Usage: "flat binary to load (with --load-at and --entry)"},
			&cli.StringFlag{Name: "load-at", Value: "0x7c00", Usage: "physical load address of --raw"},
			&cli.StringFlag{Name: "entry", Value: "0000:7c00", Usage: "real-mode SEG:OFF to start --raw at"},
			&cli.BoolFlag{Name: "raw-demo", Usage: "run the small real-mode demo that prints through port 0xE9"},
			&cli.StringFlag{Name: "kernel", Usage: "kernel to boot: a Linux bzImage or a Multiboot v1 ELF"},
			&cli.StringFlag{Name: "initrd", Usage: "initial ramdisk for a Linux --kernel"},
			&cli.StringFlag{Name: "append", Usage: "kernel command line"},
			&cli.StringFlag{Name: "fda", Usage: "floppy image for drive A: (1.44 MB raw, or gzip/zstd compressed)"},
			&cli.StringFlag{Name: "fdb", Usage: "floppy image for drive B:"},
			&cli.StringFlag{Name: "hda", Usage: "hard disk image, IDE primary master"},
			&cli.StringFlag{Name: "hdb", Usage: "hard disk image, IDE primary slave"},
			&cli.StringFlag{Name: "hdc", Usage: "hard disk image, IDE secondary master"},
			&cli.StringFlag{Name: "hdd", Usage: "hard disk image, IDE secondary slave"},
			&cli.BoolFlag{Name: "rw", Usage: "write guest disk writes back to the image files (default: discarded)"},
			&cli.StringFlag{Name: "bios", Usage: "run this firmware image (e.g. SeaBIOS bios.bin) instead of the built-in BIOS"},
			&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Value: "128M", Usage: "RAM size (bytes, or with K/M/G suffix)"},
			&cli.StringFlag{Name: "display", DefaultText: "term on a terminal, see above", Usage: "screen: term (VGA text screen in this terminal) or none"},
			&cli.StringFlag{Name: "screenshot", Usage: "save the screen as a PNG `FILE` when the run ends"},
			&cli.StringFlag{Name: "serial", Value: "none", Usage: "COM1 backend: stdio, none, file:PATH or tcp:HOST:PORT"},
			&cli.StringFlag{Name: "debugcon", Value: "auto", Usage: "port 0xE9 output: stdio, none, file:PATH or auto (stdio unless the terminal is in use)"},
			&cli.StringFlag{Name: "trace", Usage: "write one line per executed instruction to FILE"},
			&cli.BoolFlag{Name: "stats", Usage: "print instructions retired, guest MIPS and why the run ended"},
			&cli.BoolFlag{Name: "no-reboot", Usage: "exit instead of rebooting on a triple fault or reset"},
			&cli.BoolFlag{Name: "realtime", DefaultText: "on when interactive, see above", Usage: "pace the virtual clock to the host clock"},
			&cli.Uint64Flag{Name: "ips", Value: gox86.DefaultIPS, Usage: "virtual clock rate, instructions per second"},
			&cli.Uint64Flag{Name: "max-instructions", Usage: "stop after this many instructions (0: no limit)"},
			&cli.Uint64Flag{Name: "trace-from", Usage: "with --trace, start tracing after this many instructions"},
		},
		Action: func(ctx *cli.Context) error {
			if ctx.NArg() > 0 {
				return fmt.Errorf("run takes no positional arguments (got %q); use --raw, --kernel or --fda", ctx.Args().First())
			}
			code, err := runGuest(ctx, s)
			*status = code
			return err
		},
	}
}

// demoExitStatus is the status the demo OS asks for when it ends well:
// it writes 10h to the isa-debug-exit port, (10h << 1) | 1.
const demoExitStatus = 0x10<<1 | 1

// consolePlan says where the guest's output goes and where input comes
// from, resolved from the flags and the terminals present.
type consolePlan struct {
	display  string // displayTerm or displayNone
	debugcon string // the --debugcon spec to open
	keyboard bool   // stdin is typed on the 8042 keyboard
	serialIn bool   // stdin, a terminal, goes to COM1 through the Ctrl-A filter
	raw      bool   // the terminal on stdin is put in raw mode
	realTime bool   // the default of --realtime
}

// planConsole applies the defaults documented in runDescription.
// firmwareBoot says whether the firmware starts the guest (so the screen
// is set up); the TTY flags say which streams are terminals.
func planConsole(display, serial, debugcon string, firmwareBoot, stdinTTY, stdoutTTY bool) (consolePlan, error) {
	p := consolePlan{display: display, debugcon: debugcon}
	serialStdio := serial == "stdio"
	if p.display == "" {
		p.display = displayNone
		if stdoutTTY && firmwareBoot && !serialStdio && debugcon != "stdio" {
			p.display = displayTerm
		}
	}
	if p.display == displayTerm {
		if serialStdio {
			return p, fmt.Errorf("--display term and --serial stdio cannot share the terminal; use one of them")
		}
		if debugcon == "stdio" {
			return p, fmt.Errorf("--display term and --debugcon stdio cannot share the terminal; use one of them")
		}
	}
	if p.debugcon == "auto" {
		p.debugcon = "stdio"
		if p.display == displayTerm || serialStdio {
			p.debugcon = "none"
		}
	}
	p.keyboard = p.display == displayTerm
	p.serialIn = serialStdio && stdinTTY
	p.raw = stdinTTY && (p.display == displayTerm || serialStdio)
	p.realTime = p.raw
	return p, nil
}

// imageFlags are the flags that name what to boot.
var imageFlags = []string{"raw", "kernel", "fda", "fdb", "hda", "hdb", "hdc", "hdd", "bios"}

// isDemo reports whether no image was named: the demo OS runs.
func isDemo(ctx *cli.Context) bool {
	if ctx.Bool("raw-demo") {
		return false
	}
	for _, name := range imageFlags {
		if ctx.String(name) != "" {
			return false
		}
	}
	return true
}

// firmwareBoots reports whether the firmware starts the guest, rather
// than a loader putting it straight into memory (--raw, --raw-demo, a
// Multiboot kernel).
func firmwareBoots(ctx *cli.Context) bool {
	if ctx.String("raw") != "" || ctx.Bool("raw-demo") {
		return false
	}
	if path := ctx.String("kernel"); path != "" {
		return fileIsLinuxKernel(path)
	}
	return true
}

// fileIsLinuxKernel reads just enough of path to tell a bzImage from a
// Multiboot ELF; read errors are reported when the kernel is loaded.
func fileIsLinuxKernel(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 0x206+1)
	n, _ := io.ReadFull(f, head)
	return isLinuxKernel(head[:n])
}

// demoFloppy returns the demo OS boot floppy.
func demoFloppy() (*devices.DiskImage, error) {
	zr, err := gzip.NewReader(bytes.NewReader(demoOSImage))
	if err != nil {
		return nil, fmt.Errorf("demo OS image: %v", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("demo OS image: %v", err)
	}
	return devices.NewMemoryDiskImage(data)
}

// runGuest builds the machine from the flags, runs it and returns the
// exit status the run asks for.
func runGuest(ctx *cli.Context, s streams) (int, error) {
	display, err := parseDisplay(ctx.String("display"))
	if err != nil {
		return 2, err
	}
	mem, err := parseSize(ctx.String("memory"))
	if err != nil {
		return 2, fmt.Errorf("--memory: %v", err)
	}
	if ctx.String("raw") != "" && ctx.String("kernel") != "" {
		return 2, fmt.Errorf("--raw and --kernel cannot be used together")
	}
	if ctx.Bool("raw-demo") {
		for _, name := range imageFlags {
			if ctx.String(name) != "" {
				return 2, fmt.Errorf("--raw-demo cannot be used with --%s", name)
			}
		}
	}
	if ctx.Uint64("ips") == 0 {
		return 2, fmt.Errorf("--ips must be positive")
	}
	if err := checkFlagPairs(ctx); err != nil {
		return 2, err
	}
	demo := isDemo(ctx)
	stdinTTY, stdoutTTY := isTerminal(s.in), isTerminal(s.out)
	plan, err := planConsole(display, ctx.String("serial"), ctx.String("debugcon"), firmwareBoots(ctx), stdinTTY, stdoutTTY)
	if err != nil {
		return 2, err
	}
	cfg := gox86.Config{
		MemoryBytes: mem,
		IPS:         ctx.Uint64("ips"),
		RealTime:    plan.realTime,
		NoReboot:    ctx.Bool("no-reboot"),
	}
	if ctx.IsSet("realtime") {
		cfg.RealTime = ctx.Bool("realtime")
	}
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	debugcon, err := openOutput(plan.debugcon, s.out)
	if err != nil {
		return 2, fmt.Errorf("--debugcon: %v", err)
	}
	if c, ok := debugcon.(io.Closer); ok && debugcon != s.out {
		closers = append(closers, c)
	}
	cfg.DebugCon = debugcon
	// Terminal input for COM1 passes the Ctrl-A filter on its way, through
	// a pipe the serial backend reads.
	serialIn := s.in
	var serialPipe *io.PipeWriter
	if plan.serialIn {
		pr, pw := io.Pipe()
		serialIn, serialPipe = pr, pw
		closers = append(closers, pw)
	}
	serial, err := devices.ParseSerialSpec(ctx.String("serial"), serialIn, s.out)
	if err != nil {
		return 2, fmt.Errorf("--serial: %v", err)
	}
	if serial != nil {
		closers = append(closers, serial)
	}
	cfg.Serial[0] = serial
	if path := ctx.String("screenshot"); path != "" {
		// Fail now, not after the run, if the file cannot be written.
		f, err := os.Create(path)
		if err != nil {
			return 2, fmt.Errorf("--screenshot: %v", err)
		}
		f.Close()
	}
	disks, err := openDisks(ctx)
	for _, d := range disks {
		if d != nil {
			closers = append(closers, d)
		}
	}
	if err != nil {
		return 2, err
	}
	if demo {
		if disks[0], err = demoFloppy(); err != nil {
			return 2, err
		}
	}
	cfg.Floppy = [2]*devices.DiskImage{disks[0], disks[1]}
	cfg.HardDisk = [4]*devices.DiskImage{disks[2], disks[3], disks[4], disks[5]}
	if path := ctx.String("bios"); path != "" {
		fw, err := os.ReadFile(path)
		if err != nil {
			return 2, fmt.Errorf("--bios: %v", err)
		}
		cfg.Firmware = fw
	}
	var tracer *gox86.Tracer
	if path := ctx.String("trace"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return 2, fmt.Errorf("--trace: %v", err)
		}
		closers = append(closers, f)
		cfg.Trace = f
	}
	cons := &console{s: s, display: plan.display}
	if plan.display == displayTerm {
		cfg.Frame = cons.frame
	}
	m, err := gox86.New(cfg)
	if err != nil {
		if cfg.Firmware != nil {
			return 2, fmt.Errorf("--bios %s: %v", ctx.String("bios"), err)
		}
		return 2, err
	}
	if t, ok := m.CPU.Tracer.(*gox86.Tracer); ok {
		tracer = t
		defer tracer.Flush()
	}
	if err := loadGuest(ctx, m); err != nil {
		return 2, err
	}

	if plan.raw {
		if err := cons.makeRaw(); err != nil {
			return 2, err
		}
	}
	defer cons.restore(m)
	var filter *escapeFilter
	if stdinTTY {
		filter = &escapeFilter{}
	}
	switch {
	case plan.keyboard && s.in != nil:
		go pumpInput(s.in, filter, func(p []byte) {
			for _, b := range p {
				m.KBC.TypeASCII(b)
			}
		}, m.Stop)
	case serialPipe != nil:
		go pumpInput(s.in, filter, func(p []byte) { serialPipe.Write(p) }, m.Stop)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			m.Stop()
		}
	}()
	start := time.Now()
	limit := ctx.Uint64("max-instructions")
	var res gox86.Result
	if from := ctx.Uint64("trace-from"); from > 0 && tracer != nil {
		// Run untraced up to the start point, then trace the rest.
		m.CPU.Tracer = nil
		res = m.Run(from)
		if res.Reason == gox86.ExitInstructionLimit && (limit == 0 || limit > from) {
			m.CPU.Tracer = tracer
			res = m.Run(limit)
		}
	} else {
		res = m.Run(limit)
	}
	elapsed := time.Since(start)
	cons.restore(m)
	if path := ctx.String("screenshot"); path != "" {
		if err := devices.WritePNG(path, m.VGA); err != nil {
			return 2, fmt.Errorf("--screenshot: %v", err)
		}
	}
	if ctx.Bool("stats") {
		mips := float64(res.Instructions) / elapsed.Seconds() / 1e6
		fmt.Fprintf(s.err, "gox86: %d instructions retired in %v (%.1f guest MIPS), virtual time %v\n",
			res.Instructions, elapsed.Round(time.Millisecond), mips, res.VirtualTime)
		fmt.Fprintf(s.err, "gox86: run ended: %s: %s\n", res.Reason, res.Detail)
	}
	switch res.Reason {
	case gox86.ExitDebugPort:
		if demo {
			if res.Status == demoExitStatus {
				return 0, nil
			}
			return res.Status, fmt.Errorf("the demo OS failed: %s", res.Detail)
		}
		return res.Status, nil
	case gox86.ExitReset, gox86.ExitHalted, gox86.ExitInstructionLimit, gox86.ExitStopped:
		if res.Status != 0 {
			return res.Status, fmt.Errorf("%s", res.Detail)
		}
		return res.Status, nil
	default:
		return max(res.Status, 1), fmt.Errorf("%s: %s", res.Reason, res.Detail)
	}
}

// openDisks opens the disk flags in the order fda, fdb, hda, hdb, hdc,
// hdd; images are read-only unless --rw is given.
func openDisks(ctx *cli.Context) ([6]*devices.DiskImage, error) {
	var d [6]*devices.DiskImage
	for k, name := range []string{"fda", "fdb", "hda", "hdb", "hdc", "hdd"} {
		path := ctx.String(name)
		if path == "" {
			continue
		}
		img, err := devices.OpenDiskImage(path, ctx.Bool("rw"))
		if err != nil {
			return d, fmt.Errorf("--%s: %v", name, err)
		}
		d[k] = img
	}
	return d, nil
}

// hasDisks reports whether any disk flag was given.
func hasDisks(ctx *cli.Context) bool {
	for _, name := range []string{"fda", "fdb", "hda", "hdb", "hdc", "hdd", "bios"} {
		if ctx.String(name) != "" {
			return true
		}
	}
	return false
}

// isLinuxKernel reports whether img carries a Linux boot-protocol setup
// header ("HdrS" at offset 202h).
func isLinuxKernel(img []byte) bool {
	return len(img) > 0x206 && string(img[0x202:0x206]) == "HdrS"
}

// flagPairs lists flags that only mean something with another flag.
var flagPairs = []struct{ flag, needs string }{
	{"initrd", "kernel"},
	{"append", "kernel"},
	{"load-at", "raw"},
	{"entry", "raw"},
	{"trace-from", "trace"},
}

// checkFlagPairs rejects a flag given without the flag it qualifies, so
// that a mistyped command line is not silently run as something else.
func checkFlagPairs(ctx *cli.Context) error {
	for _, p := range flagPairs {
		if ctx.IsSet(p.flag) && !ctx.IsSet(p.needs) {
			return fmt.Errorf("--%s needs --%s", p.flag, p.needs)
		}
	}
	return nil
}

// loadGuest loads the image the flags name; disks, and the demo OS's
// floppy, are booted by the firmware.
func loadGuest(ctx *cli.Context, m *gox86.Machine) error {
	switch {
	case ctx.String("kernel") != "":
		path := ctx.String("kernel")
		img, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("--kernel: %v", err)
		}
		if isLinuxKernel(img) {
			var initrd []byte
			if p := ctx.String("initrd"); p != "" {
				if initrd, err = os.ReadFile(p); err != nil {
					return fmt.Errorf("--initrd: %v", err)
				}
			}
			if err := m.LoadLinux(img, initrd, ctx.String("append")); err != nil {
				return fmt.Errorf("--kernel %s: %v", path, err)
			}
			return nil
		}
		if ctx.String("initrd") != "" {
			return fmt.Errorf("--initrd is only for Linux kernels")
		}
		if err := m.LoadMultiboot(img, ctx.String("append")); err != nil {
			return fmt.Errorf("--kernel %s: %v", path, err)
		}
		return nil
	case hasDisks(ctx):
		return nil // the firmware boots from the disks
	case ctx.Bool("raw-demo"):
		return m.LoadRaw(demoImage, 0x7C00, 0, 0x7C00)
	case ctx.String("raw") != "":
		img, err := os.ReadFile(ctx.String("raw"))
		if err != nil {
			return fmt.Errorf("--raw: %v", err)
		}
		at, err := parseAddress(ctx.String("load-at"))
		if err != nil {
			return fmt.Errorf("--load-at: %v", err)
		}
		cs, ip, err := parseSegOff(ctx.String("entry"))
		if err != nil {
			return fmt.Errorf("--entry: %v", err)
		}
		if err := m.LoadRaw(img, at, cs, ip); err != nil {
			return fmt.Errorf("--raw %s: %v", ctx.String("raw"), err)
		}
		return nil
	default:
		return nil // the demo OS floppy is in drive A:
	}
}

// openOutput opens an output spec: stdio (stdout), none or file:PATH.
func openOutput(spec string, stdout io.Writer) (io.Writer, error) {
	switch {
	case spec == "stdio":
		return stdout, nil
	case spec == "none":
		return nil, nil
	case strings.HasPrefix(spec, "file:"):
		path := strings.TrimPrefix(spec, "file:")
		if path == "" {
			return nil, fmt.Errorf("file: needs a path")
		}
		return os.Create(path)
	}
	return nil, fmt.Errorf("unknown output %q (want stdio, none, file:PATH or auto)", spec)
}

// parseSize parses a byte count with an optional K, M or G suffix.
func parseSize(s string) (uint32, error) {
	mult := uint64(1)
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "B")
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, strings.TrimSuffix(t, "K")
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, strings.TrimSuffix(t, "G")
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 64M)", s)
	}
	v := n * mult
	if v > 3<<30 || v/mult != n {
		return 0, fmt.Errorf("size %q is above the 3 GiB maximum", s)
	}
	if v < 1<<20 {
		return 0, fmt.Errorf("size %q is below the 1 MiB minimum", s)
	}
	return uint32(v), nil
}

// parseAddress parses a 32-bit address in decimal or 0x hex.
func parseAddress(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 32)
	if err != nil {
		return 0, fmt.Errorf("bad address %q (want e.g. 0x7c00)", s)
	}
	return uint32(v), nil
}

// parseSegOff parses a real-mode SEG:OFF pair written in hex.
func parseSegOff(s string) (uint16, uint16, error) {
	seg, off, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("bad entry %q (want SEG:OFF in hex, e.g. 0000:7c00)", s)
	}
	sv, err1 := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(seg), "0x"), 16, 16)
	ov, err2 := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(off), "0x"), 16, 16)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad entry %q (want SEG:OFF in hex, e.g. 0000:7c00)", s)
	}
	return uint16(sv), uint16(ov), nil
}
