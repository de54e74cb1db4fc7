package rewrite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"golang.org/x/tools/go/ast/astutil"
)

// Edit replaces the bytes [Start, End) of a file's original source with New.
// Edits are byte ranges of the original text, so everything they do not
// cover (comments, formatting) is kept as it was.
type Edit struct {
	Start, End int
	New        string
}

// ApplyEdits applies edits to src. Edits must not overlap; two insertions at
// the same offset are applied in the order given.
func ApplyEdits(src []byte, edits []Edit) ([]byte, error) {
	sorted := make([]Edit, len(edits))
	copy(sorted, edits)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	var buf bytes.Buffer
	last := 0
	for _, e := range sorted {
		if e.Start < last || e.End < e.Start || e.End > len(src) {
			return nil, fmt.Errorf("edit [%d,%d) overlaps a previous edit or is out of range (last end %d, size %d)", e.Start, e.End, last, len(src))
		}
		buf.Write(src[last:e.Start])
		buf.WriteString(e.New)
		last = e.End
	}
	buf.Write(src[last:])
	return buf.Bytes(), nil
}

// Overlaps reports whether e shares bytes with any of edits (an insertion
// strictly inside a replaced range counts).
func Overlaps(e Edit, edits []Edit) bool {
	for _, o := range edits {
		if e.Start < o.End && o.Start < e.End {
			return true
		}
		if e.Start == e.End && o.Start < e.Start && e.Start < o.End {
			return true
		}
		if o.Start == o.End && e.Start < o.Start && o.Start < e.End {
			return true
		}
	}
	return false
}

// Imports says which imports a rewritten file needs and which it may lose.
type Imports struct {
	Add  []string // import paths to add when missing
	Drop []string // import paths to delete when no longer used
	// DropUnused deletes every import the edited file no longer uses (the
	// original compiled, so an edit removed its last use).
	DropUnused bool
}

// FinishFile parses the edited source, fixes its imports and formats it
// with gofmt. filename is used in error messages only.
func FinishFile(filename string, src []byte, imp Imports) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("rewritten %s does not parse: %w", filename, err)
	}
	changed := false
	for _, path := range imp.Add {
		if astutil.AddImport(fset, f, path) {
			changed = true
		}
	}
	drop := imp.Drop
	if imp.DropUnused {
		for _, s := range f.Imports {
			if p, err := strconv.Unquote(s.Path.Value); err == nil {
				drop = append(drop, p)
			}
		}
	}
	for _, path := range drop {
		if hasImport(f, path) && !usesImport(f, path) {
			if astutil.DeleteImport(fset, f, path) {
				changed = true
			}
		}
	}
	if changed {
		var buf bytes.Buffer
		if err := format.Node(&buf, fset, f); err != nil {
			return nil, fmt.Errorf("print %s: %w", filename, err)
		}
		src = buf.Bytes()
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("gofmt %s: %w", filename, err)
	}
	return out, nil
}

func hasImport(f *ast.File, path string) bool {
	for _, s := range f.Imports {
		if p, err := strconv.Unquote(s.Path.Value); err == nil && p == path {
			return true
		}
	}
	return false
}

// usesImport is astutil.UsesImport that also counts blank and dot imports
// as used (they are never ours to remove).
func usesImport(f *ast.File, path string) bool {
	for _, s := range f.Imports {
		if p, err := strconv.Unquote(s.Path.Value); err == nil && p == path && s.Name != nil && (s.Name.Name == "_" || s.Name.Name == ".") {
			return true
		}
	}
	return astutil.UsesImport(f, path)
}

// WriteFileAtomic replaces path with data: it writes a temporary file in the
// same directory, syncs it, gives it path's mode and renames it over path,
// so a reader sees the old or the new file, never a mix.
func WriteFileAtomic(path string, data []byte) (err error) {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".ormshift-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}
