package vetdriver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ormshift/ormshift/analyzers/suite"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
)

// validateSARIF checks a document against the parts of the SARIF 2.1.0
// schema (sarif-schema-2.1.0.json) that GitHub code scanning relies on:
// the required properties and their types, ruleIndex consistency, 1-based
// regions and well-formed fixes. No JSON Schema validator is available in
// the module cache, so this is a structural check written from the schema.
func validateSARIF(doc []byte) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	var log map[string]any
	if err := json.Unmarshal(doc, &log); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if log["version"] != "2.1.0" {
		bad("version = %v, want 2.1.0", log["version"])
	}
	if s, _ := log["$schema"].(string); s == "" {
		bad("$schema missing")
	}
	runs, ok := log["runs"].([]any)
	if !ok || len(runs) == 0 {
		bad("runs missing")
		return errs
	}
	for ri, r := range runs {
		run, _ := r.(map[string]any)
		tool, _ := run["tool"].(map[string]any)
		driver, _ := tool["driver"].(map[string]any)
		if name, _ := driver["name"].(string); name == "" {
			bad("runs[%d].tool.driver.name missing", ri)
		}
		rules, _ := driver["rules"].([]any)
		var ids []string
		for i, x := range rules {
			rule, _ := x.(map[string]any)
			id, _ := rule["id"].(string)
			if id == "" {
				bad("rules[%d].id missing", i)
			}
			ids = append(ids, id)
			sd, _ := rule["shortDescription"].(map[string]any)
			if t, _ := sd["text"].(string); t == "" {
				bad("rules[%d] (%s).shortDescription.text missing", i, id)
			}
			if h, ok := rule["help"].(map[string]any); ok {
				if t, _ := h["text"].(string); t == "" {
					bad("rules[%d].help.text empty", i)
				}
			}
		}
		results, ok := run["results"].([]any)
		if !ok {
			bad("runs[%d].results missing", ri)
		}
		for i, x := range results {
			res, _ := x.(map[string]any)
			ruleID, _ := res["ruleId"].(string)
			if ruleID == "" {
				bad("results[%d].ruleId missing", i)
			}
			if idx, ok := res["ruleIndex"].(float64); ok {
				if int(idx) < 0 || int(idx) >= len(ids) || ids[int(idx)] != ruleID {
					bad("results[%d].ruleIndex %v does not point at %s", i, idx, ruleID)
				}
			}
			switch res["level"] {
			case nil, "none", "note", "warning", "error":
			default:
				bad("results[%d].level = %v", i, res["level"])
			}
			msg, _ := res["message"].(map[string]any)
			if t, _ := msg["text"].(string); t == "" {
				bad("results[%d].message.text missing", i)
			}
			locs, _ := res["locations"].([]any)
			if len(locs) == 0 {
				bad("results[%d].locations missing", i)
			}
			for _, l := range locs {
				loc, _ := l.(map[string]any)
				pl, _ := loc["physicalLocation"].(map[string]any)
				checkArtifact(pl, fmt.Sprintf("results[%d]", i), bad)
				checkRegion(pl["region"], fmt.Sprintf("results[%d].region", i), bad)
			}
			fixes, _ := res["fixes"].([]any)
			for fi, f := range fixes {
				fix, _ := f.(map[string]any)
				changes, _ := fix["artifactChanges"].([]any)
				if len(changes) == 0 {
					bad("results[%d].fixes[%d].artifactChanges empty", i, fi)
				}
				for _, c := range changes {
					ch, _ := c.(map[string]any)
					checkArtifact(ch, fmt.Sprintf("results[%d].fixes[%d]", i, fi), bad)
					reps, _ := ch["replacements"].([]any)
					if len(reps) == 0 {
						bad("results[%d].fixes[%d].replacements empty", i, fi)
					}
					for _, rp := range reps {
						rep, _ := rp.(map[string]any)
						checkRegion(rep["deletedRegion"], fmt.Sprintf("results[%d].fixes[%d].deletedRegion", i, fi), bad)
					}
				}
			}
		}
	}
	return errs
}

func checkArtifact(holder map[string]any, where string, bad func(string, ...any)) {
	al, _ := holder["artifactLocation"].(map[string]any)
	if u, _ := al["uri"].(string); u == "" {
		bad("%s.artifactLocation.uri missing", where)
	} else if u[0] == '/' {
		bad("%s.artifactLocation.uri %q is absolute; code scanning wants it relative to the checkout", where, u)
	}
}

func checkRegion(v any, where string, bad func(string, ...any)) {
	r, ok := v.(map[string]any)
	if !ok {
		bad("%s missing", where)
		return
	}
	sl, _ := r["startLine"].(float64)
	if sl < 1 {
		bad("%s.startLine = %v, want >= 1", where, r["startLine"])
	}
	if sc, ok := r["startColumn"].(float64); ok && sc < 1 {
		bad("%s.startColumn = %v", where, sc)
	}
	if el, ok := r["endLine"].(float64); ok && el < sl {
		bad("%s.endLine %v < startLine %v", where, el, sl)
	}
}

func TestSARIF(t *testing.T) {
	dir := appDir(t)
	t.Chdir(dir) // SARIF URIs are relative to the working directory
	rep := runApp(t, dir, onlyLegacycall)
	var buf bytes.Buffer
	if err := vetdriver.WriteSARIF(&buf, rep, suite.All(), "test"); err != nil {
		t.Fatal(err)
	}
	for _, e := range validateSARIF(buf.Bytes()) {
		t.Error(e)
	}
	var log vetdriver.SARIFLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != len(rep.Findings) {
		t.Errorf("%d results for %d findings", len(run.Results), len(rep.Findings))
	}
	fixes := 0
	for _, r := range run.Results {
		fixes += len(r.Fixes)
		if r.RuleID == "legacycall/read" && r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "repo/repo.go" &&
			r.Locations[0].PhysicalLocation.Region.StartLine != 15 {
			t.Errorf("repo.go read finding at line %d, want 15", r.Locations[0].PhysicalLocation.Region.StartLine)
		}
	}
	if fixes != 1 {
		t.Errorf("%d fixes in SARIF, want 1", fixes)
	}
	var haveRead bool
	for _, r := range run.Tool.Driver.Rules {
		haveRead = haveRead || (r.ID == "legacycall/read" && r.Help != nil && r.HelpURI != "")
	}
	if !haveRead {
		t.Error("rule legacycall/read missing or without help")
	}
	// Levels: a legacy call is a note; the injection rules are errors with
	// a security-severity for code scanning.
	for _, r := range run.Results {
		if strings.HasPrefix(r.RuleID, "legacycall/") && r.Level != "note" {
			t.Errorf("%s result level %q, want note", r.RuleID, r.Level)
		}
	}
	var high bool
	for _, r := range vetdriver.SARIF(&vetdriver.Report{Analyzers: []string{"sqlinject"}}, suite.All(), "test").Runs[0].Tool.Driver.Rules {
		if r.ID == "sqlinject/high" {
			high = r.DefaultConfiguration.Level == "error" && r.Properties["security-severity"] == "8.8"
		}
	}
	if !high {
		t.Error("rule sqlinject/high is not an error with security-severity 8.8")
	}
}

// TestValidatorCatchesErrors makes sure the structural validator fails on
// broken documents, so TestSARIF can fail.
func TestValidatorCatchesErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"version":   `{"version":"2.0.0","$schema":"x","runs":[{"tool":{"driver":{"name":"a","rules":[]}},"results":[]}]}`,
		"no driver": `{"version":"2.1.0","$schema":"x","runs":[{"tool":{},"results":[]}]}`,
		"ruleIndex": `{"version":"2.1.0","$schema":"x","runs":[{"tool":{"driver":{"name":"a","rules":[{"id":"r","shortDescription":{"text":"t"}}]}},"results":[{"ruleId":"q","ruleIndex":0,"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.go"},"region":{"startLine":1}}}]}]}]}`,
		"region":    `{"version":"2.1.0","$schema":"x","runs":[{"tool":{"driver":{"name":"a","rules":[{"id":"r","shortDescription":{"text":"t"}}]}},"results":[{"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.go"},"region":{"startLine":0}}}]}]}]}`,
		"fix":       `{"version":"2.1.0","$schema":"x","runs":[{"tool":{"driver":{"name":"a","rules":[{"id":"r","shortDescription":{"text":"t"}}]}},"results":[{"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.go"},"region":{"startLine":1}}}],"fixes":[{"artifactChanges":[]}]}]}]}`,
	} {
		if errs := validateSARIF([]byte(doc)); len(errs) == 0 {
			t.Errorf("%s: validator accepted a broken document", name)
		}
	}
}
