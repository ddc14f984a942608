// Command gox86 runs x86 guests on the gox86 emulator, and disassembles
// x86 code.
//
//	gox86 run                              boot the built-in demo OS
//	gox86 run --raw-demo                   the small real-mode demo (port 0xE9)
//	gox86 run --fda disk.img --display term --screenshot end.png
//	gox86 run --kernel bench.elf --serial stdio
//	gox86 run --raw boot.bin --load-at 0x7c00 --entry 0000:7c00 --debugcon stdio
//	gox86 disasm FILE --mode 16 --org 0x7c00
//	gox86 version
//
// Every bad argument or unreadable file ends with a one-line error and a
// non-zero exit status.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args))
}

// run executes the command line and returns the process exit status.
func run(args []string) int { return runIO(args, osStreams()) }

// runIO is run with the standard streams given.
func runIO(args []string, s streams) int {
	status := 0
	app := &cli.App{
		Name:            "gox86",
		Usage:           "a PC emulator in pure Go",
		HideHelpCommand: true,
		Writer:          s.out,
		ErrWriter:       s.err,
		Commands: []*cli.Command{
			versionCommand(),
			disasmCommand(),
			runCommand(&status, s),
		},
		OnUsageError: func(ctx *cli.Context, err error, isSubcommand bool) error {
			return err
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, c := range app.Commands {
		c.OnUsageError = func(ctx *cli.Context, err error, isSubcommand bool) error {
			return err
		}
	}
	if err := app.Run(flagsFirst(args, app.Commands)); err != nil {
		fmt.Fprintf(s.err, "gox86: %v\n", err)
		if status == 0 {
			status = 2
		}
	}
	return status
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the gox86 version",
		Action: func(ctx *cli.Context) error {
			if ctx.NArg() > 0 {
				return fmt.Errorf("version takes no arguments")
			}
			fmt.Fprintf(ctx.App.Writer, "gox86 %s\n", version)
			return nil
		},
	}
}

// flagsFirst moves a command's flags ahead of its positional arguments,
// so that `gox86 disasm FILE --mode 16` parses like `gox86 disasm --mode
// 16 FILE` (urfave/cli stops reading flags at the first positional
// argument). A flag that takes a value keeps the token after it; "--"
// still ends the flags, and what follows it stays positional.
func flagsFirst(args []string, cmds []*cli.Command) []string {
	if len(args) < 2 {
		return args
	}
	var cmd *cli.Command
	for _, c := range cmds {
		if c.HasName(args[1]) {
			cmd = c
		}
	}
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		d, ok := f.(cli.DocGenerationFlag)
		for _, name := range f.Names() {
			takesValue[name] = ok && d.TakesValue()
		}
	}
	var flags, positional []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out
}
