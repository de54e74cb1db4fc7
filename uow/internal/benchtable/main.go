// Command benchtable turns the output of the uow benchmarks
// (uow/internal/bench) into a Markdown comparison table: for each
// operation and size, every implementation's time, allocations and round
// trips, its time relative to the fastest hand-written pgx implementation
// of that operation and size (pgx, or pgx-copy where there is one), and how
// much faster uow is than each other implementation. With -count > 1 the
// fastest run of each benchmark is kept.
//
//	go test ./uow/internal/bench -bench . | go run ./uow/internal/benchtable
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\w+)/N=(\d+)/([\w-]+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

type result struct {
	op, impl string
	n        int
	metrics  map[string]float64
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, w io.Writer) error {
	out := bufio.NewWriter(w)
	var results []*result
	index := map[string]*result{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := line.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		r := &result{op: m[1], n: n, impl: m[3], metrics: map[string]float64{}}
		fields := strings.Fields(m[5])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return fmt.Errorf("bad metric %q in %q", fields[i], sc.Text())
			}
			r.metrics[fields[i+1]] = v
		}
		key := fmt.Sprintf("%s/%d/%s", r.op, r.n, r.impl)
		if old := index[key]; old != nil {
			// Repeated runs (-count): keep the fastest, the least disturbed
			// by other load on the machine.
			if r.metrics["ns/op"] < old.metrics["ns/op"] {
				*old = *r
			}
			continue
		}
		index[key] = r
		results = append(results, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("no benchmark results on stdin")
	}
	opOrder := map[string]int{"Insert": 0, "UpdateOneField": 1, "Delete": 2, "LoadHasMany": 3}
	implOrder := map[string]int{"uow": 0, "pgx": 1, "pgx-copy": 2, "gorm-batch": 3, "gorm-loop": 4}
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.op != b.op {
			return opOrder[a.op] < opOrder[b.op]
		}
		if a.n != b.n {
			return a.n < b.n
		}
		return implOrder[a.impl] < implOrder[b.impl]
	})
	_, _ = fmt.Fprintln(out, "| operation | N | implementation | time/op | allocs/op | round trips/op | time vs best pgx | uow speed-up vs this |")
	_, _ = fmt.Fprintln(out, "|---|---:|---|---:|---:|---:|---:|---:|")
	for _, r := range results {
		floor := 0.0
		for _, impl := range []string{"pgx", "pgx-copy"} {
			if x := index[fmt.Sprintf("%s/%d/%s", r.op, r.n, impl)]; x != nil && x.metrics["ns/op"] > 0 && (floor == 0 || x.metrics["ns/op"] < floor) {
				floor = x.metrics["ns/op"]
			}
		}
		u := index[fmt.Sprintf("%s/%d/uow", r.op, r.n)]
		ns := r.metrics["ns/op"]
		vsPgx, speed := "", ""
		if floor > 0 {
			vsPgx = fmt.Sprintf("%.2f×", ns/floor)
		}
		if u != nil && r.impl != "uow" && u.metrics["ns/op"] > 0 {
			speed = fmt.Sprintf("%.1f×", ns/u.metrics["ns/op"])
		}
		_, _ = fmt.Fprintf(out, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", r.op, r.n, r.impl, dur(ns),
			num(r.metrics["allocs/op"]), num(r.metrics["roundtrips/op"]), vsPgx, speed)
	}
	return out.Flush()
}

func dur(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.0f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
