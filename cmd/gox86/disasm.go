package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/arch/x86/x86asm"
)

func disasmCommand() *cli.Command {
	return &cli.Command{
		Name:      "disasm",
		Usage:     "print an Intel-syntax listing of a flat binary",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mode", Value: "16", Usage: "code size: 16 or 32"},
			&cli.StringFlag{Name: "org", Value: "0", Usage: "address of the first byte (e.g. 0x7c00)"},
		},
		Action: func(ctx *cli.Context) error {
			if ctx.NArg() != 1 {
				return fmt.Errorf("disasm needs exactly one FILE argument")
			}
			mode := 0
			switch ctx.String("mode") {
			case "16":
				mode = 16
			case "32":
				mode = 32
			default:
				return fmt.Errorf("--mode must be 16 or 32, not %q", ctx.String("mode"))
			}
			org, err := parseAddress(ctx.String("org"))
			if err != nil {
				return fmt.Errorf("--org: %v", err)
			}
			code, err := os.ReadFile(ctx.Args().First())
			if err != nil {
				return err
			}
			w := bufio.NewWriter(ctx.App.Writer)
			defer w.Flush()
			disassemble(w, code, mode, org)
			return nil
		},
	}
}

// disassemble writes one line per instruction: address, bytes, Intel
// syntax. Bytes that do not decode are listed as "(bad)" one at a time.
func disassemble(w *bufio.Writer, code []byte, mode int, org uint32) {
	for off := 0; off < len(code); {
		pc := org + uint32(off)
		in, err := x86asm.Decode(code[off:], mode)
		n := in.Len
		text := ""
		if err != nil || in.Op == 0 || n == 0 {
			n = 1
			text = "(bad)"
		} else {
			text = x86asm.IntelSyntax(in, uint64(pc), nil)
		}
		var hex strings.Builder
		for _, b := range code[off : off+n] {
			fmt.Fprintf(&hex, "%02X", b)
		}
		if mode == 16 {
			fmt.Fprintf(w, "%08X  %-20s %s\n", pc, hex.String(), text)
		} else {
			fmt.Fprintf(w, "%08X  %-20s %s\n", pc, hex.String(), text)
		}
		off += n
	}
}
