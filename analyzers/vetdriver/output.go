package vetdriver

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// WriteText prints findings as go vet does, file:line:col: message, with
// the rule id in parentheses, then package errors.
func WriteText(w io.Writer, rep *Report) error {
	for _, f := range rep.Findings {
		if _, err := fmt.Fprintf(w, "%s: %s (%s)\n", f.Pos, f.Message, f.Rule); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	}
	return nil
}

// WriteErrors prints package errors, one per line.
func WriteErrors(w io.Writer, rep *Report) error {
	for _, e := range rep.Errors {
		if _, err := fmt.Fprintln(w, e.String()); err != nil {
			return fmt.Errorf("write errors: %w", err)
		}
	}
	return nil
}

// jsonDiagnostic is go vet -json's diagnostic shape
// (golang.org/x/tools/go/analysis/internal/analysisflags JSONDiagnostic),
// plus the rule id.
type jsonDiagnostic struct {
	Category       string             `json:"category,omitempty"`
	Rule           string             `json:"rule"`
	Posn           string             `json:"posn"`
	End            string             `json:"end,omitempty"`
	Message        string             `json:"message"`
	URL            string             `json:"url,omitempty"`
	SuggestedFixes []jsonSuggestedFix `json:"suggested_fixes,omitempty"`
}

type jsonSuggestedFix struct {
	Message string         `json:"message"`
	Edits   []jsonTextEdit `json:"edits"`
}

type jsonTextEdit struct {
	Filename string `json:"filename"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	New      string `json:"new"`
}

type jsonError struct {
	Error string `json:"error"`
}

// JSONTree is go vet -json's output: package ID -> analyzer name ->
// diagnostics (or {"error": ...}).
type JSONTree map[string]map[string]any

// JSON builds the go vet -json tree of a report. Package errors appear
// under the pseudo-analyzer "errors" as {"error": "..."} entries, as go
// vet reports an analyzer's failure.
func JSON(rep *Report) JSONTree {
	tree := JSONTree{}
	add := func(pkg, analyzer string, v any) {
		m := tree[pkg]
		if m == nil {
			m = map[string]any{}
			tree[pkg] = m
		}
		switch v := v.(type) {
		case jsonDiagnostic:
			list, _ := m[analyzer].([]jsonDiagnostic)
			m[analyzer] = append(list, v)
		default:
			m[analyzer] = v
		}
	}
	for _, f := range rep.Findings {
		d := jsonDiagnostic{Category: f.Rule, Rule: f.Rule, Posn: f.Pos.String(), Message: f.Message, URL: f.URL}
		if f.End.Line > 0 {
			d.End = f.End.String()
		}
		for _, fx := range f.Fixes {
			jf := jsonSuggestedFix{Message: fx.Message}
			for _, e := range fx.Edits {
				jf.Edits = append(jf.Edits, jsonTextEdit{Filename: e.File, Start: e.Start.Offset, End: e.End.Offset, New: e.New})
			}
			d.SuggestedFixes = append(d.SuggestedFixes, jf)
		}
		add(f.Package, f.Analyzer, d)
	}
	errs := map[string][]string{}
	for _, e := range rep.Errors {
		errs[e.Package] = append(errs[e.Package], e.String())
	}
	pkgs := make([]string, 0, len(errs))
	for p := range errs {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		msg := ""
		for i, e := range errs[p] {
			if i > 0 {
				msg += "\n"
			}
			msg += e
		}
		add(p, "errors", jsonError{Error: msg})
	}
	return tree
}

// WriteJSON prints the go vet -json tree, indented.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "\t")
	if err := enc.Encode(JSON(rep)); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	return nil
}
