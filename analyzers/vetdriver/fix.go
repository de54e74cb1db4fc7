package vetdriver

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
	"strings"

	"golang.org/x/tools/go/ast/astutil"
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
	file       string
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
	for i, f := range rep.Findings {
		if len(f.Fixes) == 0 {
			continue
		}
		fx := f.Fixes[0]
		ok := true
		var fresh []fileEdit
		for _, e := range fx.Edits {
			if e.Start.Offset > e.End.Offset {
				ok = false
			}
			same := false
			for _, r := range perFile[e.File] {
				if e.Start.Offset == r.start && e.End.Offset == r.end && e.New == r.new {
					// The same edit as an accepted fix's (two fixes that
					// both add an import): apply it once.
					same = true
					continue
				}
				if e.Start.Offset < r.end && r.start < e.End.Offset || e.Start.Offset == r.start && e.End.Offset == r.end {
					ok = false
				}
			}
			if !same {
				fresh = append(fresh, fileEdit{finding: i, file: e.File, start: e.Start.Offset, end: e.End.Offset, new: e.New})
			}
		}
		if !ok {
			res.Skipped++
			continue
		}
		for _, e := range fresh {
			perFile[e.file] = append(perFile[e.file], e)
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
	out = pruneImports(src, out)
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

// pruneImports deletes from after the imports that before used and after
// no longer uses: several fixes in one file may together remove the last
// uses of "fmt", which no single fix can see. Uses are counted in the
// syntax (pkg.Name selectors whose pkg is not declared in the file), so a
// package whose name differs from its path's last element is only ever
// left alone. after is returned unchanged when either does not parse.
func pruneImports(before, after []byte) []byte {
	fset := token.NewFileSet()
	fb, err := parser.ParseFile(fset, "before.go", before, parser.SkipObjectResolution)
	if err != nil {
		return after
	}
	fa, err := parser.ParseFile(fset, "after.go", after, parser.ParseComments)
	if err != nil {
		return after
	}
	usedBefore, usedAfter := importUses(fb), importUses(fa)
	type imp struct{ name, path string }
	var unused []imp
	for _, is := range fa.Imports {
		path, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			continue
		}
		name := importName(is)
		if name == "_" || name == "." || name == "C" {
			continue
		}
		if usedBefore[name] > 0 && usedAfter[name] == 0 {
			local := ""
			if is.Name != nil {
				local = is.Name.Name
			}
			unused = append(unused, imp{local, path})
		}
	}
	changed := false
	for _, u := range unused {
		changed = astutil.DeleteNamedImport(fset, fa, u.name, u.path) || changed
	}
	if !changed {
		return after
	}
	var b bytes.Buffer
	if err := format.Node(&b, fset, fa); err != nil {
		return after
	}
	return b.Bytes()
}

// importName is the name an import is used under: its explicit name, else
// a guess from the path (the last element, without a major version or a
// go- prefix); a wrong guess only means the import is never pruned.
func importName(is *ast.ImportSpec) string {
	if is.Name != nil {
		return is.Name.Name
	}
	path, _ := strconv.Unquote(is.Path.Value)
	parts := strings.Split(path, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = parts[len(parts)-2]
	}
	name = strings.TrimPrefix(name, "go-")
	name = strings.TrimSuffix(strings.TrimSuffix(name, "-go"), ".go")
	return name
}

// importUses counts, per identifier, the qualified references X.Sel of
// the file whose X is not declared anywhere in the file.
func importUses(f *ast.File) map[string]int {
	declared := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.ImportSpec:
			return false
		case *ast.Field:
			for _, id := range x.Names {
				declared[id.Name] = true
			}
		case *ast.ValueSpec:
			for _, id := range x.Names {
				declared[id.Name] = true
			}
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				for _, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						declared[id.Name] = true
					}
				}
			}
		case *ast.FuncDecl:
			declared[x.Name.Name] = true
		case *ast.TypeSpec:
			declared[x.Name.Name] = true
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{x.Key, x.Value} {
				if id, ok := e.(*ast.Ident); ok {
					declared[id.Name] = true
				}
			}
		}
		return true
	})
	uses := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && !declared[id.Name] {
				uses[id.Name]++
			}
		}
		return true
	})
	return uses
}
