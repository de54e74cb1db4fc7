// Package naming holds the entity metadata rules that are pure functions of
// names and tags: how a Go struct name becomes a table name, a field name a
// column name, and how `gorm:"..."` and `uow:"..."` struct tags are read.
//
// The rules are GORM's defaults (gorm.io/gorm/schema/naming.go, v1.31.2:
// NamingStrategy.TableName, ColumnName, JoinTableName and toDBName; and
// schema/utils.go ParseTagSetting), so legacy models keep the table and
// column names they have today. They are written once, here, and used both
// at run time through reflection (package uow) and statically through
// go/types (the analyzers, rewrite, baseline): this package depends on
// nothing but the standard library and github.com/jinzhu/inflection, GORM's
// own pluralizer.
package naming

import (
	"strings"

	"github.com/jinzhu/inflection"
)

// commonInitialisms is GORM's list (schema/naming.go, from golint): each is
// title-cased before snake-casing so "UserID" becomes "user_id" and
// "HTTPServer" "http_server". The order matters: strings.Replacer prefers
// the earlier of two matches at the same position, exactly as GORM's does.
var commonInitialisms = []string{"API", "ASCII", "CPU", "CSS", "DNS", "EOF", "GUID", "HTML", "HTTP", "HTTPS", "ID", "IP", "JSON", "LHS", "QPS", "RAM", "RHS", "RPC", "SLA", "SMTP", "SSH", "TLS", "TTL", "UID", "UI", "UUID", "URI", "URL", "UTF8", "VM", "XML", "XSRF", "XSS"}

var initialismReplacer = func() *strings.Replacer {
	pairs := make([]string, 0, 2*len(commonInitialisms))
	for _, s := range commonInitialisms {
		// cases.Title(language.Und) on an ASCII word: first letter upper,
		// the rest lower ("UTF8" -> "Utf8").
		pairs = append(pairs, s, s[:1]+strings.ToLower(s[1:]))
	}
	return strings.NewReplacer(pairs...)
}()

// TableName is the table GORM's default NamingStrategy gives a struct of
// that name: snake_case, then pluralised ("Package" -> "packages",
// "HTTPLog" -> "http_logs"). A model's TableName() method, when it has one,
// takes precedence; that is for the caller to check.
func TableName(structName string) string {
	return inflection.Plural(SnakeCase(structName))
}

// ColumnName is the column GORM's default NamingStrategy gives a field of
// that name ("WeeklyDownloads" -> "weekly_downloads", "PackageID" ->
// "package_id"). A `gorm:"column:..."` tag takes precedence.
func ColumnName(fieldName string) string {
	return SnakeCase(fieldName)
}

// JoinTableName is the table a `gorm:"many2many:NAME"` tag names: NAME as
// is when it is already lower case, else snake-cased and pluralised.
func JoinTableName(name string) string {
	if strings.ToLower(name) == name {
		return name
	}
	return inflection.Plural(SnakeCase(name))
}

// SnakeCase is GORM's toDBName: common initialisms are title-cased, then an
// underscore goes before each upper-case letter that starts a word.
func SnakeCase(name string) string {
	if name == "" {
		return ""
	}
	var (
		value                          = initialismReplacer.Replace(name)
		buf                            strings.Builder
		lastCase, nextCase, nextNumber bool // upper case == true
		curCase                        = value[0] <= 'Z' && value[0] >= 'A'
	)
	// This loop mirrors gorm.io/gorm/schema/naming.go toDBName byte for
	// byte, including its treatment of multi-byte runes, so the two never
	// disagree.
	for i, v := range value[:len(value)-1] {
		nextCase = value[i+1] <= 'Z' && value[i+1] >= 'A'
		nextNumber = value[i+1] >= '0' && value[i+1] <= '9'
		if curCase {
			if lastCase && (nextCase || nextNumber) {
				buf.WriteRune(v + 32)
			} else {
				if i > 0 && value[i-1] != '_' && value[i+1] != '_' {
					buf.WriteByte('_')
				}
				buf.WriteRune(v + 32)
			}
		} else {
			buf.WriteRune(v)
		}
		lastCase = curCase
		curCase = nextCase
	}
	if curCase {
		if !lastCase && len(value) > 1 {
			buf.WriteByte('_')
		}
		buf.WriteByte(value[len(value)-1] + 32)
	} else {
		buf.WriteByte(value[len(value)-1])
	}
	return buf.String()
}

// ParseTagSettings reads a `gorm:"..."` tag value the way GORM does
// (schema.ParseTagSetting with ";"): settings are separated by ";" (a "\;"
// is a literal semicolon), each is KEY or KEY:value, keys are trimmed and
// upper-cased, a value keeps everything after the first ":" (with \" turned
// into "), and a bare KEY maps to itself ("primaryKey" -> PRIMARYKEY:
// "PRIMARYKEY").
func ParseTagSettings(tag string) map[string]string {
	return parseTag(tag, ";")
}

func parseTag(str, sep string) map[string]string {
	settings := map[string]string{}
	names := strings.Split(str, sep)
	var parsed []string
	for i := 0; i < len(names); i++ {
		s := names[i]
		for strings.HasSuffix(s, `\`) && i+1 < len(names) {
			i++
			s = s[:len(s)-1] + sep + names[i]
		}
		parsed = append(parsed, s)
	}
	for _, t := range parsed {
		values := strings.Split(t, ":")
		k := strings.TrimSpace(strings.ToUpper(values[0]))
		if len(values) >= 2 {
			settings[k] = strings.ReplaceAll(strings.Join(values[1:], ":"), `\"`, `"`)
		} else if k != "" {
			settings[k] = k
		}
	}
	return settings
}

// UowTag is what a `uow:"..."` tag says: the words GORM has no tag for.
// The syntax is the same as GORM's (";"-separated, case-insensitive keys).
type UowTag struct {
	// Version marks the optimistic-locking version column (an integer
	// field, or a time.Time): `uow:"version"`.
	Version bool
	// Ignore excludes the field from the entity: `uow:"-"`.
	Ignore bool
	// Unknown lists keys this version does not understand, upper-cased,
	// so callers can report them instead of silently ignoring a typo.
	Unknown []string
}

// ParseUowTag reads a `uow:"..."` tag value.
func ParseUowTag(tag string) UowTag {
	var u UowTag
	if strings.TrimSpace(tag) == "-" {
		u.Ignore = true
		return u
	}
	for k := range parseTag(tag, ";") {
		switch k {
		case "VERSION":
			u.Version = true
		case "-":
			u.Ignore = true
		default:
			u.Unknown = append(u.Unknown, k)
		}
	}
	sortStrings(u.Unknown)
	return u
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TagColumns splits a tag value that lists field names
// ("foreignKey:OwnerID,OwnerType") the way GORM does.
func TagColumns(val string) []string {
	if val == "" {
		return nil
	}
	var out []string
	for _, v := range strings.Split(val, ",") {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}

// HasForeignKeyCandidates lists, in GORM's order of preference, the field
// names of the related struct that GORM tries as the foreign key of a
// has-one or has-many relation owned by a struct named owner whose primary
// key field is pk ("Package", "ID" -> PackageID, PackageId).
func HasForeignKeyCandidates(owner, pk string) []string {
	return fkCandidates(owner+pk, pk)
}

// BelongsToForeignKeyCandidates lists the field names of the owning struct
// that GORM tries as the foreign key of a belongs-to relation held in field
// fieldName, when the referenced struct's primary key field is pk
// (field "Package", "ID" -> PackageID, PackageId).
func BelongsToForeignKeyCandidates(fieldName, pk string) []string {
	return fkCandidates(fieldName+pk, pk)
}

func fkCandidates(lookUp, pk string) []string {
	base := strings.TrimSuffix(lookUp, pk)
	out := []string{lookUp}
	for _, c := range []string{base + "ID", base + "Id"} {
		if c != lookUp {
			out = append(out, c)
		}
	}
	return out
}

// IsPrimaryKeyTag reports whether GORM settings mark a primary key
// (primaryKey or the older primary_key, any case).
func IsPrimaryKeyTag(settings map[string]string) bool {
	_, a := settings["PRIMARYKEY"]
	_, b := settings["PRIMARY_KEY"]
	return a || b
}

// Singular is the singular form GORM's pluralizer gives a word.
func Singular(s string) string { return inflection.Singular(s) }
