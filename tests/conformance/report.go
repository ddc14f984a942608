package conformance

import (
	"fmt"
	"io"
	"sort"
)

// Summary totals a whole run.
type Summary struct {
	Passed, Failed, Excluded int
	Files                    []FileResult
}

// RunAll runs every MOO file in dir and writes a per-opcode table to w.
func RunAll(dir string, w io.Writer, verbose bool) (Summary, error) {
	var sum Summary
	files, err := Files(dir)
	if err != nil {
		return sum, err
	}
	if len(files) == 0 {
		return sum, fmt.Errorf("no *.MOO.gz files in %s", dir)
	}
	revoked := Revoked(dir)
	r := NewRunner()
	fmt.Fprintf(w, "%-8s %7s %7s %8s\n", "opcode", "passed", "failed", "excluded")
	reasons := map[string]int{}
	for _, f := range files {
		res, err := r.RunFile(f, revoked)
		if err != nil {
			return sum, err
		}
		sum.Files = append(sum.Files, res)
		sum.Passed += res.Passed
		sum.Failed += res.Failed
		sum.Excluded += res.Excluded
		status := "ok"
		if res.Failed > 0 {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%-8s %7d %7d %8d  %s\n", res.File, res.Passed, res.Failed, res.Excluded, status)
		if verbose {
			for _, s := range res.FirstFailures {
				fmt.Fprintf(w, "    %s\n", s)
			}
		}
		for k, v := range res.ExclusionReasons {
			reasons[k] += v
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintln(w, "exclusions:")
		keys := make([]string, 0, len(reasons))
		for k := range reasons {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %6d  %s\n", reasons[k], k)
		}
	}
	return sum, nil
}
