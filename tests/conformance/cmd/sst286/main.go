// Command sst286 runs the SingleStepTests 80286 hardware captures against
// gox86's CPU and prints a per-opcode table. Its last line is
// "conformance: N passed, N failed, N excluded"; it exits 1 if any test
// that is not excluded fails, and 0 with a message when the data folder
// is absent.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gox86/gox86/tests/conformance"
)

func main() {
	dir := flag.String("dir", "../shared/conformance/sst286", "folder holding the *.MOO.gz files")
	verbose := flag.Bool("v", false, "print the first failures of each opcode and the exclusion reasons")
	only := flag.String("only", "", "run one test, FILE:INDEX (e.g. F7.6:12), and describe it")
	flag.Parse()
	if *only != "" {
		os.Exit(runOne(*dir, *only))
	}
	os.Exit(run(*dir, *verbose))
}

func run(dir string, verbose bool) int {
	if _, err := os.Stat(dir); err != nil {
		fmt.Printf("conformance: skipped: test data folder %s not found\n", dir)
		return 0
	}
	sum, err := conformance.RunAll(dir, os.Stdout, verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		return 2
	}
	fmt.Printf("conformance: %d passed, %d failed, %d excluded\n", sum.Passed, sum.Failed, sum.Excluded)
	if sum.Failed > 0 {
		return 1
	}
	return 0
}

func runOne(dir, spec string) int {
	name, idx, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(idx)
	if !ok || err != nil {
		fmt.Fprintln(os.Stderr, "sst286: -only wants FILE:INDEX")
		return 2
	}
	tests, err := conformance.ReadFile(filepath.Join(dir, name+".MOO.gz"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sst286:", err)
		return 2
	}
	if n < 0 || n >= len(tests) {
		fmt.Fprintln(os.Stderr, "sst286: no such test")
		return 2
	}
	t := &tests[n]
	fmt.Println(conformance.Describe(t))
	o := conformance.NewRunner().Run(name, t)
	fmt.Printf("pass=%v excluded=%q detail=%s\n", o.Pass, o.Excluded, o.Detail)
	return 0
}
