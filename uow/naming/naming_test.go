package naming

import (
	"reflect"
	"testing"

	"gorm.io/gorm/schema"
)

// The reference is GORM itself: every name must come out exactly as
// gorm.io/gorm/schema.NamingStrategy{} makes it.
var names = []string{
	"Package", "Version", "User", "UserID", "ID", "URL", "HTTPServer", "HTTPSProxy", "APIKey",
	"WeeklyDownloads", "PublishedAt", "PackageID", "CreatedAt", "OAuthToken", "UUID", "UserUUID",
	"JSONData", "IPAddress", "UTF8Name", "SimpleXMLParser", "A", "a", "ABC", "AbcDef", "Person",
	"Category", "Status", "Address", "Child", "Mouse", "Datum", "Index", "Matrix", "Octopus",
	"already_snake", "With_Underscore", "X1Y2", "Field2Name", "HTML5Doc", "UIDs", "UserIDs",
	"Sheep", "Fish", "Criterion", "Quiz", "Box", "CPUUsage", "TTLSeconds", "XMLHTTPRequest",
}

func TestTableAndColumnNamesMatchGORM(t *testing.T) {
	ns := schema.NamingStrategy{}
	for _, n := range names {
		if got, want := TableName(n), ns.TableName(n); got != want {
			t.Errorf("TableName(%q) = %q, GORM says %q", n, got, want)
		}
		if got, want := ColumnName(n), ns.ColumnName("", n); got != want {
			t.Errorf("ColumnName(%q) = %q, GORM says %q", n, got, want)
		}
		if got, want := JoinTableName(n), ns.JoinTableName(n); got != want {
			t.Errorf("JoinTableName(%q) = %q, GORM says %q", n, got, want)
		}
	}
}

func TestParseTagSettingsMatchesGORM(t *testing.T) {
	tags := []string{
		"", "primaryKey", "column:user_name;not null", "uniqueIndex;not null",
		"default:0", "foreignKey:OwnerID;references:ID", "many2many:package_tags",
		`default:'a\;b'`, "type:varchar(100);comment:the name", " primary_key ; AUTOINCREMENT:false",
		"check:age > 13", `default:"x"`, "index:idx_name,unique", "column:a:b",
		"serializer:json", "-", "->", "<-:create", "embedded;embeddedPrefix:author_",
	}
	for _, tag := range tags {
		got := ParseTagSettings(tag)
		want := schema.ParseTagSetting(tag, ";")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseTagSettings(%q) = %v, GORM says %v", tag, got, want)
		}
	}
}

func TestParseUowTag(t *testing.T) {
	cases := []struct {
		tag  string
		want UowTag
	}{
		{"", UowTag{}},
		{"version", UowTag{Version: true}},
		{"VERSION", UowTag{Version: true}},
		{"-", UowTag{Ignore: true}},
		{"version;bogus;other", UowTag{Version: true, Unknown: []string{"BOGUS", "OTHER"}}},
	}
	for _, c := range cases {
		if got := ParseUowTag(c.tag); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseUowTag(%q) = %+v, want %+v", c.tag, got, c.want)
		}
	}
}

func TestForeignKeyCandidates(t *testing.T) {
	if got, want := HasForeignKeyCandidates("Package", "ID"), []string{"PackageID", "PackageId"}; !reflect.DeepEqual(got, want) {
		t.Errorf("HasForeignKeyCandidates = %v, want %v", got, want)
	}
	if got, want := BelongsToForeignKeyCandidates("Owner", "UUID"), []string{"OwnerUUID", "OwnerID", "OwnerId"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BelongsToForeignKeyCandidates = %v, want %v", got, want)
	}
}
