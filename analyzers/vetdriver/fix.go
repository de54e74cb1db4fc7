package vetdriver

import (
	"bytes"
	"fmt"
	"go/format"
	"go/token"
	"os"
	"path/filepath"
	"sort"
)

// FixResult says what ApplyFixes did.
type FixResult struct {
	Applied  int      // fixes applied
	Skipped  int      // fixes skipped because they overlap an earlier one
	Files    []string // files written
	Fixed    []bool   // per finding of the report: its first fix was applied
	Problems []string // files that could not be fixed (with why)
}

type fileEdit struct {
	finding    int
	start, end int
	new        string
}

// ApplyFixes applies the first suggested fix of every finding that has
// one. A fix whose edits overlap an already accepted fix is skipped (run
// again to apply it). Each file is rewritten through a temporary file and
// a rename, and gofmt'ed when the result parses; a file that changed since
// it was analyzed is left alone.
func ApplyFixes(rep *Report) (*FixResult, error) {
	res := &FixResult{Fixed: make([]bool, len(rep.Findings))}
	perFile := map[string][]fileEdit{}
	accepted := map[string][][2]int{}
	for i, f := range rep.Findings {
		if len(f.Fixes) == 0 {
			continue
		}
		fx := f.Fixes[0]
		ok := true
		for _, e := range fx.Edits {
			if e.Start.Offset > e.End.Offset {
				ok = false
			}
			for _, r := range accepted[e.File] {
				if e.Start.Offset < r[1] && r[0] < e.End.Offset || e.Start.Offset == r[0] && e.End.Offset == r[1] {
					ok = false
				}
			}
		}
		if !ok {
			res.Skipped++
			continue
		}
		for _, e := range fx.Edits {
			accepted[e.File] = append(accepted[e.File], [2]int{e.Start.Offset, e.End.Offset})
			perFile[e.File] = append(perFile[e.File], fileEdit{finding: i, start: e.Start.Offset, end: e.End.Offset, new: e.New})
		}
		res.Fixed[i] = true
		res.Applied++
	}
	files := make([]string, 0, len(perFile))
	for f := range perFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, name := range files {
		if err := applyFile(name, perFile[name], rep); err != nil {
			res.Problems = append(res.Problems, err.Error())
			for _, e := range perFile[name] {
				if res.Fixed[e.finding] {
					res.Fixed[e.finding] = false
					res.Applied--
				}
			}
			continue
		}
		res.Files = append(res.Files, name)
	}
	if len(res.Problems) > 0 {
		return res, fmt.Errorf("could not fix %d file(s): %s", len(res.Problems), res.Problems[0])
	}
	return res, nil
}

func applyFile(name string, edits []fileEdit, rep *Report) error {
	src, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if rep.Fset != nil {
		// The file must be the one that was analyzed.
		found := false
		rep.Fset.Iterate(func(tf *token.File) bool {
			if tf.Name() == name {
				found = true
				if tf.Size() != len(src) {
					err = fmt.Errorf("%s changed since it was analyzed; not fixing it", name)
				}
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
		_ = found
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		if e.start < 0 || e.end > len(out) || e.start > e.end {
			return fmt.Errorf("%s: edit [%d,%d) out of range", name, e.start, e.end)
		}
		out = append(out[:e.start:e.start], append([]byte(e.new), out[e.end:]...)...)
	}
	if formatted, err := format.Source(out); err == nil {
		out = formatted
	}
	if bytes.Equal(out, src) {
		return nil
	}
	return writeAtomic(name, out)
}

// writeAtomic writes data to a temporary file next to name and renames it
// over name, keeping name's permissions.
func writeAtomic(name string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(name); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".ormshift-fix-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
