package rewrite

import (
	"bytes"
	"fmt"
	"strings"
)

// UnifiedDiff returns a unified diff of old and new with git-style headers
// ("diff --git a/path b/path"), so that `git apply` and `patch -p1` take it.
// path is slash-separated and relative to the module root. It returns nil
// when the contents are equal.
func UnifiedDiff(path string, old, new []byte) []byte {
	if bytes.Equal(old, new) {
		return nil
	}
	a, b := splitLines(old), splitLines(new)
	ops := diffLines(a, b)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "diff --git a/%s b/%s\n", path, path)
	fmt.Fprintf(&buf, "--- a/%s\n+++ b/%s\n", path, path)
	for _, h := range hunks(ops, 3) {
		writeHunk(&buf, h, a, b)
	}
	return buf.Bytes()
}

// splitLines splits text into lines, each keeping its "\n" (the last one
// may lack it).
func splitLines(text []byte) []string {
	if len(text) == 0 {
		return nil
	}
	s := string(text)
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

type opKind int

const (
	opEqual opKind = iota
	opDelete
	opInsert
)

// op is one line of an edit script: an equal line (a[i] == b[j]), a line
// deleted from a (a[i]) or inserted from b (b[j]).
type op struct {
	kind opKind
	i, j int
}

// diffLines computes a shortest edit script from a to b with Myers'
// algorithm (O((N+M)·D) time, the trace of V arrays in memory).
func diffLines(a, b []string) []op {
	// Trim the common prefix and suffix: cheap and it keeps D small.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ops := make([]op, 0, len(a)+len(b))
	for k := 0; k < pre; k++ {
		ops = append(ops, op{opEqual, k, k})
	}
	ops = append(ops, myers(a[pre:len(a)-suf], b[pre:len(b)-suf], pre, pre)...)
	for k := 0; k < suf; k++ {
		ops = append(ops, op{opEqual, len(a) - suf + k, len(b) - suf + k})
	}
	return ops
}

func myers(a, b []string, offA, offB int) []op {
	n, m := len(a), len(b)
	max := n + m
	if max == 0 {
		return nil
	}
	v := make([]int, 2*max+2)
	var trace [][]int
	var d int
loop:
	for d = 0; d <= max; d++ {
		snap := make([]int, len(v))
		copy(snap, v)
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[max+k-1] < v[max+k+1]) {
				x = v[max+k+1] // down: insertion
			} else {
				x = v[max+k-1] + 1 // right: deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[max+k] = x
			if x >= n && y >= m {
				break loop
			}
		}
	}
	// Backtrack through the trace.
	var rev []op
	x, y := n, m
	for ; d > 0; d-- {
		vp := trace[d]
		k := x - y
		var prevK int
		if k == -d || (k != d && vp[max+k-1] < vp[max+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := vp[max+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, op{opEqual, offA + x, offB + y})
		}
		if x == prevX {
			y--
			rev = append(rev, op{opInsert, offA + x, offB + y})
		} else {
			x--
			rev = append(rev, op{opDelete, offA + x, offB + y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, op{opEqual, offA + x, offB + y})
	}
	out := make([]op, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return out
}

// hunks groups an edit script into hunks with ctx lines of context.
// extend joins changes separated by at most 2*ctx equal lines, so hunks
// never overlap.
func hunks(ops []op, ctx int) [][]op {
	var out [][]op
	i := 0
	for {
		for i < len(ops) && ops[i].kind == opEqual {
			i++
		}
		if i == len(ops) {
			return out
		}
		start := i - ctx
		if start < 0 {
			start = 0
		}
		end := extend(ops, i, ctx)
		out = append(out, ops[start:end])
		i = end
	}
}

// extend returns the end (exclusive) of the hunk that starts changing at i:
// through every change separated by at most 2*ctx equal lines, plus ctx
// trailing context lines.
func extend(ops []op, i, ctx int) int {
	for {
		for i < len(ops) && ops[i].kind != opEqual {
			i++
		}
		eq := 0
		for i+eq < len(ops) && ops[i+eq].kind == opEqual {
			eq++
		}
		if i+eq < len(ops) && eq <= 2*ctx {
			i += eq
			continue
		}
		if eq > ctx {
			eq = ctx
		}
		return i + eq
	}
}

func writeHunk(buf *bytes.Buffer, h []op, a, b []string) {
	aStart, bStart := -1, -1
	aLen, bLen := 0, 0
	for _, o := range h {
		switch o.kind {
		case opEqual:
			if aStart < 0 {
				aStart = o.i
			}
			if bStart < 0 {
				bStart = o.j
			}
			aLen++
			bLen++
		case opDelete:
			if aStart < 0 {
				aStart = o.i
			}
			aLen++
		case opInsert:
			if bStart < 0 {
				bStart = o.j
			}
			bLen++
		}
	}
	// A side with no lines is reported at the line before (0 at the start).
	if aStart < 0 {
		aStart = firstIndex(h, true)
	}
	if bStart < 0 {
		bStart = firstIndex(h, false)
	}
	fmt.Fprintf(buf, "@@ -%s +%s @@\n", rangeStr(aStart, aLen), rangeStr(bStart, bLen))
	for _, o := range h {
		switch o.kind {
		case opEqual:
			writeLine(buf, ' ', a[o.i])
		case opDelete:
			writeLine(buf, '-', a[o.i])
		case opInsert:
			writeLine(buf, '+', b[o.j])
		}
	}
}

// firstIndex returns, for a side without lines in the hunk, the index its
// empty range starts at.
func firstIndex(h []op, sideA bool) int {
	if sideA {
		return h[0].i
	}
	return h[0].j
}

func rangeStr(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start) // start is the line before (0-based index == 1-based line before)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func writeLine(buf *bytes.Buffer, prefix byte, line string) {
	buf.WriteByte(prefix)
	buf.WriteString(line)
	if !strings.HasSuffix(line, "\n") {
		buf.WriteString("\n\\ No newline at end of file\n")
	}
}
