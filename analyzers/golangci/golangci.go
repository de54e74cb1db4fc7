// Package golangci is ormshift's golangci-lint module plugin: it registers
// the analyzer suite (legacycall, sqlinject, sqlcheck) under the name
// "ormshift". Build a custom golangci-lint with it (see docs/analyzers.md):
//
//	# .custom-gcl.yml
//	version: v2.5.0
//	plugins:
//	  - module: github.com/ormshift/ormshift
//	    import: github.com/ormshift/ormshift/analyzers/golangci
//	    version: v0.1.0
//
// and enable it in .golangci.yml as a custom linter of type "module".
package golangci

import (
	"fmt"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/suite"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
)

func init() { register.Plugin("ormshift", New) }

// Settings are the plugin's settings in .golangci.yml
// (linters.settings.custom.ormshift.settings).
type Settings struct {
	// Enable keeps only these analyzers or rule ids; Disable drops them.
	Enable  []string `json:"enable"`
	Disable []string `json:"disable"`
}

// Plugin is the golangci-lint plugin.
type Plugin struct {
	settings Settings
}

var _ register.LinterPlugin = (*Plugin)(nil)

// New decodes the settings (unknown keys are an error).
func New(conf any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](conf)
	if err != nil {
		return nil, fmt.Errorf("ormshift plugin settings: %w", err)
	}
	if _, err := vetdriver.Selected(suite.All(), s.Enable, s.Disable); err != nil {
		return nil, fmt.Errorf("ormshift plugin settings: %w", err)
	}
	return &Plugin{settings: s}, nil
}

// BuildAnalyzers returns the selected analyzers, with //ormshift:ignore
// suppression and rule-level enable/disable built in, plus the "ormshift"
// analyzer that reports ignores without a reason or that suppress nothing,
// unknown rules in ignores and // ormshift:todo markers (unless its rules
// are disabled).
func (p *Plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) {
	selected, err := vetdriver.Selected(suite.All(), p.settings.Enable, p.settings.Disable)
	if err != nil {
		return nil, err
	}
	enabled := func(id string) bool { return vetdriver.RuleEnabled(id, p.settings.Enable, p.settings.Disable) }
	return suite.ForUnits(selected, enabled), nil
}

// GetLoadMode asks golangci-lint for type information.
func (p *Plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
