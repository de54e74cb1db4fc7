package pkgpulsetest

import (
	"fmt"
	"strings"
	"testing"
)

// maxDiffLines bounds how many changed lines lineDiff prints.
const maxDiffLines = 40

// lineDiff returns a readable line diff of want and got: each hunk starts
// with the line numbers ("@@ want line N, got line M"), removed lines with
// "-", added lines with "+", and one line of context before. It stops after
// maxDiffLines changed lines.
func lineDiff(want, got string) string {
	a := strings.Split(want, "\n")
	b := strings.Split(got, "\n")

	// Longest common subsequence table, suffix form: lcs[i][j] is the LCS
	// length of a[i:] and b[j:]. Transcripts are a few hundred lines.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}

	var out strings.Builder
	changed := 0
	inHunk := false
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if changed >= maxDiffLines {
			fmt.Fprintf(&out, "... (diff truncated after %d changed lines)\n", maxDiffLines)
			break
		}
		if i < len(a) && j < len(b) && a[i] == b[j] {
			inHunk = false
			i++
			j++
			continue
		}
		if !inHunk {
			fmt.Fprintf(&out, "@@ want line %d, got line %d\n", i+1, j+1)
			if i > 0 {
				fmt.Fprintf(&out, "  %s\n", a[i-1])
			}
			inHunk = true
		}
		if i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]) {
			fmt.Fprintf(&out, "- %s\n", a[i])
			i++
		} else {
			fmt.Fprintf(&out, "+ %s\n", b[j])
			j++
		}
		changed++
	}
	if changed == 0 {
		return "(no line differences)\n"
	}
	return out.String()
}

func TestLineDiff(t *testing.T) {
	want := "a\nb\nc\nd\n"
	got := "a\nB\nc\nd\ne\n"
	d := lineDiff(want, got)
	for _, s := range []string{"@@ want line 2, got line 2", "- b", "+ B", "+ e", "  a"} {
		if !strings.Contains(d, s) {
			t.Errorf("diff lacks %q:\n%s", s, d)
		}
	}
	if strings.Contains(d, "- c") || strings.Contains(d, "+ c") {
		t.Errorf("diff marks the unchanged line c:\n%s", d)
	}
	if got := lineDiff(want, want); got != "(no line differences)\n" {
		t.Errorf("diff of equal texts = %q", got)
	}
	long := strings.Repeat("x\n", 100)
	if d := lineDiff("", long); !strings.Contains(d, "truncated") {
		t.Errorf("long diff not truncated:\n%s", d)
	}
}
