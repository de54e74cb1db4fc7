package vetdriver

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/internal/rules"
)

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/) as GitHub
// code scanning accepts it.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

// SARIFLog is the top-level SARIF object.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is one run of the tool.
type SARIFRun struct {
	Tool        SARIFTool         `json:"tool"`
	Results     []SARIFResult     `json:"results"`
	Invocations []SARIFInvocation `json:"invocations,omitempty"`
	// OriginalURIBaseIDs anchors relative artifact URIs at the source root.
	OriginalURIBaseIDs map[string]SARIFArtifactLocation `json:"originalUriBaseIds,omitempty"`
}

type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

type SARIFDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []SARIFRule `json:"rules"`
}

type SARIFMessage struct {
	Text string `json:"text"`
}

type SARIFRule struct {
	ID                   string           `json:"id"`
	Name                 string           `json:"name,omitempty"`
	ShortDescription     SARIFMessage     `json:"shortDescription"`
	FullDescription      *SARIFMessage    `json:"fullDescription,omitempty"`
	Help                 *SARIFMessage    `json:"help,omitempty"`
	HelpURI              string           `json:"helpUri,omitempty"`
	DefaultConfiguration *SARIFRuleConfig `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any   `json:"properties,omitempty"`
}

type SARIFRuleConfig struct {
	Level string `json:"level"`
}

type SARIFResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   SARIFMessage    `json:"message"`
	Locations []SARIFLocation `json:"locations"`
	Fixes     []SARIFFix      `json:"fixes,omitempty"`
	// PartialFingerprints lets code scanning track a result across commits.
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
}

type SARIFLocation struct {
	PhysicalLocation SARIFPhysicalLocation `json:"physicalLocation"`
}

type SARIFPhysicalLocation struct {
	ArtifactLocation SARIFArtifactLocation `json:"artifactLocation"`
	Region           SARIFRegion           `json:"region"`
}

type SARIFArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type SARIFRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type SARIFFix struct {
	Description     SARIFMessage          `json:"description"`
	ArtifactChanges []SARIFArtifactChange `json:"artifactChanges"`
}

type SARIFArtifactChange struct {
	ArtifactLocation SARIFArtifactLocation `json:"artifactLocation"`
	Replacements     []SARIFReplacement    `json:"replacements"`
}

type SARIFReplacement struct {
	DeletedRegion   SARIFRegion   `json:"deletedRegion"`
	InsertedContent *SARIFContent `json:"insertedContent,omitempty"`
}

type SARIFContent struct {
	Text string `json:"text"`
}

type SARIFInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []SARIFNotification `json:"toolExecutionNotifications,omitempty"`
}

type SARIFNotification struct {
	Level   string       `json:"level"`
	Message SARIFMessage `json:"message"`
}

// SARIF converts a report. analyzers supply rule descriptions for rule ids
// that are not in the rules registry; version is the tool version.
func SARIF(rep *Report, analyzers []*analysis.Analyzer, version string) *SARIFLog {
	docs := map[string]*analysis.Analyzer{}
	for _, a := range analyzers {
		docs[a.Name] = a
	}
	// Every registered rule of the analyzers that ran, plus any rule id a
	// finding used.
	ids := map[string]bool{}
	ran := map[string]bool{rules.DriverAnalyzer: true}
	for _, n := range rep.Analyzers {
		ran[n] = true
	}
	for _, r := range rules.All() {
		if ran[r.Analyzer] {
			ids[r.ID] = true
		}
	}
	for _, f := range rep.Findings {
		ids[f.Rule] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	index := map[string]int{}
	var srules []SARIFRule
	for i, id := range sorted {
		index[id] = i
		r, ok := rules.Lookup(id)
		name, _, _ := strings.Cut(id, "/")
		if !ok {
			r = Rule(id, docs[name])
		}
		sr := SARIFRule{ID: id, Name: ruleName(id), ShortDescription: SARIFMessage{Text: r.Short},
			DefaultConfiguration: &SARIFRuleConfig{Level: sarifLevel(id)}, Properties: sarifProperties(id)}
		if r.Help != "" {
			sr.FullDescription = &SARIFMessage{Text: r.Help}
			sr.Help = &SARIFMessage{Text: r.Help}
		}
		if a := docs[name]; a != nil && a.URL != "" {
			sr.HelpURI = a.URL
		} else {
			sr.HelpURI = "https://github.com/ormshift/ormshift/blob/main/docs/analyzers.md"
		}
		srules = append(srules, sr)
	}
	run := SARIFRun{
		Tool: SARIFTool{Driver: SARIFDriver{Name: "ormshift", Version: version,
			InformationURI: "https://github.com/ormshift/ormshift", Rules: srules}},
		Results: []SARIFResult{},
	}
	for _, f := range rep.Findings {
		res := SARIFResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Rule),
			Message:   SARIFMessage{Text: f.Message},
			Locations: []SARIFLocation{{PhysicalLocation: physical(f.Pos, f.End)}},
			PartialFingerprints: map[string]string{
				"ormshift/v1": fmt.Sprintf("%s:%s:%s", f.Rule, filepath.ToSlash(f.Pos.File), f.Message),
			},
		}
		for _, fx := range f.Fixes {
			sf := SARIFFix{Description: SARIFMessage{Text: fx.Message}}
			byFile := map[string]*SARIFArtifactChange{}
			var order []string
			for _, e := range fx.Edits {
				uri := filepath.ToSlash(relPath("", e.File))
				ch := byFile[uri]
				if ch == nil {
					ch = &SARIFArtifactChange{ArtifactLocation: SARIFArtifactLocation{URI: uri}}
					byFile[uri] = ch
					order = append(order, uri)
				}
				rep := SARIFReplacement{DeletedRegion: SARIFRegion{StartLine: e.Start.Line, StartColumn: e.Start.Column,
					EndLine: e.End.Line, EndColumn: e.End.Column}}
				if e.New != "" {
					rep.InsertedContent = &SARIFContent{Text: e.New}
				}
				ch.Replacements = append(ch.Replacements, rep)
			}
			for _, uri := range order {
				sf.ArtifactChanges = append(sf.ArtifactChanges, *byFile[uri])
			}
			res.Fixes = append(res.Fixes, sf)
		}
		run.Results = append(run.Results, res)
	}
	inv := SARIFInvocation{ExecutionSuccessful: true}
	for _, e := range rep.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			SARIFNotification{Level: "error", Message: SARIFMessage{Text: e.String()}})
	}
	run.Invocations = []SARIFInvocation{inv}
	return &SARIFLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []SARIFRun{run}}
}

// sarifLevel is a rule's SARIF level: injection is an error, SQL that does
// not parse or bind a warning, a legacy call site (migration work, not a
// defect) a note; the driver's own rules are warnings, todos notes.
func sarifLevel(id string) string {
	name, _, _ := strings.Cut(id, "/")
	switch {
	case name == "sqlinject":
		return "error"
	case name == "legacycall", id == rules.Todo:
		return "note"
	}
	return "warning"
}

// sarifProperties tags the injection rules for GitHub code scanning: the
// "security" tag and a security-severity (CVSS-like score) make them
// security alerts with a severity; CWE-89 is SQL injection, CWE-915 mass
// assignment.
func sarifProperties(id string) map[string]any {
	switch id {
	case "sqlinject/high":
		return map[string]any{"tags": []string{"security", "external/cwe/cwe-89"}, "security-severity": "8.8", "precision": "high"}
	case "sqlinject/medium":
		return map[string]any{"tags": []string{"security", "external/cwe/cwe-89"}, "security-severity": "5.0", "precision": "medium"}
	case "sqlinject/mass-assignment":
		return map[string]any{"tags": []string{"security", "external/cwe/cwe-915"}, "security-severity": "6.5", "precision": "medium"}
	}
	return nil
}

// Rule describes a rule id that is not registered, from its analyzer's doc.
func Rule(id string, a *analysis.Analyzer) rules.Rule {
	r := rules.Rule{ID: id, Short: id}
	if a != nil {
		r.Analyzer = a.Name
		doc := strings.TrimSpace(a.Doc)
		first, rest, _ := strings.Cut(doc, "\n")
		r.Short = strings.TrimSpace(first)
		r.Help = strings.TrimSpace(rest)
		if r.Help == "" {
			r.Help = r.Short
		}
	}
	return r
}

func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, c := range id {
		if c == '/' || c == '-' || c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteRune(c)
	}
	return b.String()
}

func physical(pos, end Position) SARIFPhysicalLocation {
	r := SARIFRegion{StartLine: pos.Line, StartColumn: pos.Column}
	if end.Line >= pos.Line && end.Line > 0 {
		r.EndLine, r.EndColumn = end.Line, end.Column
	}
	if r.StartLine < 1 {
		r.StartLine = 1
	}
	return SARIFPhysicalLocation{
		ArtifactLocation: SARIFArtifactLocation{URI: filepath.ToSlash(pos.File)},
		Region:           r,
	}
}

// WriteSARIF prints the SARIF log.
func WriteSARIF(w io.Writer, rep *Report, analyzers []*analysis.Analyzer, version string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(SARIF(rep, analyzers, version)); err != nil {
		return fmt.Errorf("encode SARIF: %w", err)
	}
	return nil
}
