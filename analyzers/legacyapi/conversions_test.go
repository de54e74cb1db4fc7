package legacyapi

import (
	"strings"
	"testing"
)

func TestConversionsKeyedByTableRows(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Conversions {
		if !strings.HasPrefix(c.Rule, "rewrite/") {
			t.Errorf("rule %q does not start with rewrite/", c.Rule)
		}
		if seen[c.Rule] {
			t.Errorf("rule %q appears twice", c.Rule)
		}
		seen[c.Rule] = true
		if c.Library == nil || len(c.Methods) == 0 || c.Target == "" || len(c.Conditions) == 0 {
			t.Errorf("rule %q is incomplete", c.Rule)
		}
		for _, m := range c.Methods {
			if c.Library.Lookup(m) == nil && c.Rule != "rewrite/not-found" {
				t.Errorf("rule %q names %s.%s, which is not a row of the legacy API table", c.Rule, c.Library.Name, m)
			}
		}
	}
	if ConversionFor(GORMv2, "Find").Rule != "rewrite/find" || ConversionFor(GORMv2, "Take").Rule != "rewrite/first" {
		t.Error("ConversionFor does not find rows by method")
	}
	if ConversionFor(GORMv2, "AutoMigrate") != nil {
		t.Error("AutoMigrate has no conversion")
	}
	if ByName("GORM v2") != GORMv2 {
		t.Error("ByName")
	}
}
