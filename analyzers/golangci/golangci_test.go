package golangci_test

import (
	"path/filepath"
	"testing"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis/analysistest"

	_ "github.com/ormshift/ormshift/analyzers/golangci"
)

func newPlugin(t *testing.T, conf any) register.LinterPlugin {
	t.Helper()
	ctor, err := register.GetPlugin("ormshift")
	if err != nil {
		t.Fatalf("plugin not registered: %v", err)
	}
	p, err := ctor(conf)
	if err != nil {
		t.Fatalf("New(%v): %v", conf, err)
	}
	return p
}

func TestPlugin(t *testing.T) {
	p := newPlugin(t, map[string]any{"disable": []any{"legacycall/write"}})
	if p.GetLoadMode() != register.LoadModeTypesInfo {
		t.Errorf("load mode %q", p.GetLoadMode())
	}
	as, err := p.BuildAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	var lc = -1
	for i, a := range as {
		if a.Name == "legacycall" {
			lc = i
		}
	}
	if lc < 0 {
		t.Fatalf("legacycall not among %d analyzers", len(as))
	}
	// The fixture's write is disabled by the settings and its second read
	// is suppressed by //ormshift:ignore: only the first read is reported.
	dir, err := filepath.Abs(filepath.Join("..", "legacycall", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	analysistest.Run(t, dir, as[lc], "filtered")
}

func TestPluginSettingsErrors(t *testing.T) {
	ctor, err := register.GetPlugin("ormshift")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctor(map[string]any{"enabel": []any{"legacycall"}}); err == nil {
		t.Error("a misspelt setting was accepted")
	}
	if _, err := ctor(map[string]any{"enable": []any{"nosuch"}}); err == nil {
		t.Error("an unknown analyzer was accepted")
	}
	// Enabling an analyzer by name keeps the directive checks ("ormshift");
	// disabling "ormshift" drops them.
	p := newPlugin(t, map[string]any{"enable": []any{"legacycall"}})
	as, err := p.BuildAnalyzers()
	if err != nil || len(as) != 2 || as[0].Name != "legacycall" || as[1].Name != "ormshift" {
		t.Errorf("enable legacycall: %v, %v", as, err)
	}
	p = newPlugin(t, map[string]any{"enable": []any{"legacycall"}, "disable": []any{"ormshift"}})
	as, err = p.BuildAnalyzers()
	if err != nil || len(as) != 1 || as[0].Name != "legacycall" {
		t.Errorf("enable legacycall, disable ormshift: %v, %v", as, err)
	}
}

// TestPluginDirectives: the plugin reports the directives' problems
// (ignore without reason, unused ignore, unknown rule, todo) as ormshift vet
// does.
func TestPluginDirectives(t *testing.T) {
	as, err := newPlugin(t, map[string]any{}).BuildAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	last := as[len(as)-1]
	if last.Name != "ormshift" {
		t.Fatalf("last analyzer %q, want the ormshift directive reporter", last.Name)
	}
	dir, err := filepath.Abs(filepath.Join("..", "legacycall", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	analysistest.Run(t, dir, last, "unitdirectivesall")
}
