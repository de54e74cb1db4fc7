package vetdriver

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/types"
	"io"
	"sort"
	"strings"

	"golang.org/x/tools/go/types/typeutil"

	"github.com/ormshift/ormshift/analyzers/legacycall"
)

// UOWPath is the import path of the unit-of-work runtime converted code
// calls.
const UOWPath = "github.com/ormshift/ormshift/uow"

// uowKinds says which operation kind a call into the runtime is: the
// converted counterpart of the legacy kinds.
var uowKinds = map[string]string{
	"Find": "read", "FindOne": "read", "FindOneOrFail": "read", "Get": "read", "Count": "read",
	"Exists": "read", "Refresh": "read", "Select": "read",
	"Persist": "write", "Remove": "write", "Flush": "write",
	"Exec": "raw", "Query": "raw", "QueryRow": "raw", "Raw": "raw",
	"Transactional": "tx",
}

// Kinds are the operation kinds, in display order.
var Kinds = []string{"read", "write", "raw", "tx", "schema"}

// Counts are the numbers of one package (and kind).
type Counts struct {
	Legacy    int `json:"legacy"`
	Converted int `json:"converted"`
	Unsafe    int `json:"unsafe"`
	// Migrated is converted / (converted + legacy) in percent; nil when
	// there is neither.
	Migrated *float64 `json:"migrated_percent"`
}

func (c *Counts) add(o Counts) {
	c.Legacy += o.Legacy
	c.Converted += o.Converted
	c.Unsafe += o.Unsafe
}

func (c *Counts) finish() {
	if n := c.Legacy + c.Converted; n > 0 {
		p := float64(c.Converted) * 100 / float64(n)
		c.Migrated = &p
	} else {
		c.Migrated = nil
	}
}

// PackageInventory is one package's row.
type PackageInventory struct {
	Package string             `json:"package"`
	Kinds   map[string]*Counts `json:"kinds"`
	Counts
}

// Inventory is the progress of the migration.
type Inventory struct {
	Packages []*PackageInventory `json:"packages"`
	Kinds    map[string]*Counts  `json:"kinds"`
	Total    Counts              `json:"total"`
	Errors   []PackageError      `json:"errors,omitempty"`
}

// BuildInventory counts, per package and kind, the legacy call sites
// (legacycall's chains, suppressed or not: an ignore does not migrate a
// call), the converted sites (calls into the uow runtime) and the unsafe
// sites (sqlinject findings). rep must come from a Run that included
// legacycall.
func BuildInventory(rep *Report) (*Inventory, error) {
	inv := &Inventory{Kinds: map[string]*Counts{}, Errors: rep.Errors}
	byPkg := map[string]*PackageInventory{}
	get := func(pkg, kind string) *Counts {
		p := byPkg[pkg]
		if p == nil {
			p = &PackageInventory{Package: pkg, Kinds: map[string]*Counts{}}
			byPkg[pkg] = p
		}
		c := p.Kinds[kind]
		if c == nil {
			c = &Counts{}
			p.Kinds[kind] = c
		}
		return c
	}
	type span struct {
		file       string
		start, end int
		kind       string
	}
	spans := map[string][]span{}
	found := false
	if rep.Graph != nil {
		for _, act := range rep.Graph.Roots {
			if act.Analyzer.Name != legacycall.Analyzer.Name || rep.Quiet(act.Package.ID) {
				continue
			}
			found = true
			res, ok := act.Result.(*legacycall.Result)
			if !ok {
				continue
			}
			for _, c := range res.Chains {
				get(act.Package.ID, c.Kind).Legacy++
				s, e := rep.Fset.Position(c.Pos), rep.Fset.Position(c.End)
				spans[act.Package.ID] = append(spans[act.Package.ID], span{relPath("", s.Filename), s.Line, e.Line, c.Kind})
			}
		}
	}
	if !found && len(rep.Loaded) > 0 {
		return nil, fmt.Errorf("inventory needs the legacycall analyzer; it was disabled")
	}
	for _, p := range rep.Loaded {
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				fn, ok := typeutil.Callee(p.TypesInfo, call).(*types.Func)
				if !ok || fn.Pkg() == nil || fn.Pkg().Path() != UOWPath {
					return true
				}
				if kind, ok := uowKinds[fn.Name()]; ok {
					get(p.ID, kind).Converted++
				}
				return true
			})
		}
	}
	for _, f := range rep.Findings {
		if f.Analyzer != "sqlinject" {
			continue
		}
		kind := "raw"
		for _, s := range spans[f.Package] {
			if s.file == relPath("", f.Pos.File) && s.start <= f.Pos.Line && f.Pos.Line <= s.end {
				kind = s.kind
				break
			}
		}
		get(f.Package, kind).Unsafe++
	}
	for _, p := range byPkg {
		for k, c := range p.Kinds {
			c.finish()
			p.Counts.add(*c)
			if inv.Kinds[k] == nil {
				inv.Kinds[k] = &Counts{}
			}
			inv.Kinds[k].add(*c)
		}
		p.Counts.finish()
		inv.Total.add(p.Counts)
		inv.Packages = append(inv.Packages, p)
	}
	for _, c := range inv.Kinds {
		c.finish()
	}
	inv.Total.finish()
	sort.Slice(inv.Packages, func(i, j int) bool { return inv.Packages[i].Package < inv.Packages[j].Package })
	return inv, nil
}

func kindOrder(m map[string]*Counts) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range Kinds {
		if m[k] != nil {
			out = append(out, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func pct(c Counts) string {
	if c.Migrated == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *c.Migrated)
}

// WriteInventoryText prints the inventory as an aligned table.
func WriteInventoryText(w io.Writer, inv *Inventory) error {
	rows := [][]string{{"PACKAGE", "KIND", "LEGACY", "CONVERTED", "UNSAFE", "MIGRATED"}}
	for _, p := range inv.Packages {
		for _, k := range kindOrder(p.Kinds) {
			c := p.Kinds[k]
			rows = append(rows, []string{p.Package, k, fmt.Sprint(c.Legacy), fmt.Sprint(c.Converted), fmt.Sprint(c.Unsafe), pct(*c)})
		}
	}
	for _, k := range kindOrder(inv.Kinds) {
		c := inv.Kinds[k]
		rows = append(rows, []string{"(all packages)", k, fmt.Sprint(c.Legacy), fmt.Sprint(c.Converted), fmt.Sprint(c.Unsafe), pct(*c)})
	}
	rows = append(rows, []string{"TOTAL", "", fmt.Sprint(inv.Total.Legacy), fmt.Sprint(inv.Total.Converted), fmt.Sprint(inv.Total.Unsafe), pct(inv.Total)})
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			if len(c) > width[i] {
				width[i] = len(c)
			}
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i >= 2 {
				fmt.Fprintf(&b, "%*s", width[i], c)
			} else {
				fmt.Fprintf(&b, "%-*s", width[i], c)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	return nil
}

// WriteInventoryMarkdown prints the inventory for a pull-request comment.
func WriteInventoryMarkdown(w io.Writer, inv *Inventory) error {
	var b strings.Builder
	b.WriteString("### ormshift inventory\n\n")
	fmt.Fprintf(&b, "**%s migrated** — %d legacy call sites left, %d converted, %d unsafe.\n\n",
		pct(inv.Total), inv.Total.Legacy, inv.Total.Converted, inv.Total.Unsafe)
	b.WriteString("| Package | Kind | Legacy | Converted | Unsafe | Migrated |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|\n")
	for _, p := range inv.Packages {
		for _, k := range kindOrder(p.Kinds) {
			c := p.Kinds[k]
			fmt.Fprintf(&b, "| `%s` | %s | %d | %d | %d | %s |\n", p.Package, k, c.Legacy, c.Converted, c.Unsafe, pct(*c))
		}
	}
	fmt.Fprintf(&b, "| **Total** | | **%d** | **%d** | **%d** | **%s** |\n", inv.Total.Legacy, inv.Total.Converted, inv.Total.Unsafe, pct(inv.Total))
	if len(inv.Errors) > 0 {
		fmt.Fprintf(&b, "\n%d package(s) could not be analyzed:\n\n", len(inv.Errors))
		for _, e := range inv.Errors {
			fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(e.String(), "`", "'"))
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	return nil
}

// WriteInventoryJSON prints the inventory as JSON.
func WriteInventoryJSON(w io.Writer, inv *Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(inv); err != nil {
		return fmt.Errorf("encode inventory: %w", err)
	}
	return nil
}
