package baseline

import (
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Layout is a migrations folder convention.
type Layout string

// The layouts Replay recognises.
const (
	LayoutAuto          Layout = "auto"
	LayoutGoose         Layout = "goose"          // N_name.sql with -- +goose Up / Down
	LayoutGolangMigrate Layout = "golang-migrate" // N_name.up.sql / N_name.down.sql (also ormshift)
	LayoutDbmate        Layout = "dbmate"         // N_name.sql with -- migrate:up / down
	LayoutSQLMigrate    Layout = "sql-migrate"    // name.sql with -- +migrate Up / Down
	LayoutTern          Layout = "tern"           // NNN_name.sql, down after ---- create above / drop below ----
	LayoutFlyway        Layout = "flyway"         // V1__name.sql, R__name.sql
	LayoutPlain         Layout = "plain"          // N_name.sql, every line is "up" (Atlas)
)

// SourceFile is one migration file's "up" SQL, with every other line blanked
// so that positions still map to the file's own lines.
type SourceFile struct {
	Path string
	Up   string
}

var (
	flywayRE   = regexp.MustCompile(`^([VR])([0-9._]*)__(.+)\.sql$`)
	upRE       = regexp.MustCompile(`^([0-9]+)_(.*)\.up\.sql$`)
	numberedRE = regexp.MustCompile(`^([0-9]+)(_.*)?\.sql$`)
)

// ReadMigrations lists the folder's migration files in the order their tool
// applies them and extracts each one's "up" part.
func ReadMigrations(dir string, layout Layout) ([]SourceFile, Layout, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", fmt.Errorf("read migrations folder: %w", err)
	}
	type cand struct {
		name, path string
		version    []*big.Int
		repeatable bool
		content    string
	}
	var files []cand
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", fmt.Errorf("read %s: %w", p, err)
		}
		files = append(files, cand{name: e.Name(), path: p, content: string(b)})
	}
	if layout == "" || layout == LayoutAuto {
		layout = detectLayout(func() []string {
			var names []string
			for _, f := range files {
				names = append(names, f.name)
			}
			return names
		}(), func() []string {
			var cs []string
			for _, f := range files {
				cs = append(cs, f.content)
			}
			return cs
		}())
	}
	var keep []cand
	for _, f := range files {
		switch layout {
		case LayoutFlyway:
			m := flywayRE.FindStringSubmatch(f.name)
			if m == nil {
				continue // undo (U) files and others are not applied
			}
			f.repeatable = m[1] == "R"
			if !f.repeatable {
				f.version = versionParts(strings.ReplaceAll(m[2], "_", "."))
			}
		case LayoutGolangMigrate:
			m := upRE.FindStringSubmatch(f.name)
			if m == nil {
				continue
			}
			f.version = versionParts(m[1])
		default:
			if strings.HasSuffix(f.name, ".down.sql") {
				continue
			}
			if m := numberedRE.FindStringSubmatch(f.name); m != nil {
				f.version = versionParts(m[1])
			}
		}
		keep = append(keep, f)
	}
	sort.SliceStable(keep, func(i, j int) bool {
		a, b := keep[i], keep[j]
		if a.repeatable != b.repeatable {
			return !a.repeatable
		}
		if c := compareVersions(a.version, b.version); c != 0 {
			return c < 0
		}
		return a.name < b.name
	})
	out := make([]SourceFile, 0, len(keep))
	for _, f := range keep {
		if m := upMarker[layout]; m != "" && !strings.Contains(strings.ToLower(f.content), strings.ToLower(m)) {
			return nil, layout, &ParseError{File: f.path, Line: 1, Message: fmt.Sprintf("no %q annotation: %s would refuse this file", m, layout)}
		}
		out = append(out, SourceFile{Path: f.path, Up: upPart(f.content, layout)})
	}
	return out, layout, nil
}

// upMarker is the annotation a layout's tool requires in every file.
var upMarker = map[Layout]string{
	LayoutGoose:      "-- +goose Up",
	LayoutDbmate:     "-- migrate:up",
	LayoutSQLMigrate: "-- +migrate Up",
}

func detectLayout(names, contents []string) Layout {
	for _, n := range names {
		if flywayRE.MatchString(n) {
			return LayoutFlyway
		}
		if upRE.MatchString(n) {
			return LayoutGolangMigrate
		}
	}
	for _, c := range contents {
		switch {
		case strings.Contains(c, "-- +goose Up") || strings.Contains(c, "-- +goose up"):
			return LayoutGoose
		case strings.Contains(c, "-- migrate:up"):
			return LayoutDbmate
		case strings.Contains(c, "-- +migrate Up"):
			return LayoutSQLMigrate
		case strings.Contains(c, "---- create above / drop below ----"):
			return LayoutTern
		}
	}
	return LayoutPlain
}

func versionParts(v string) []*big.Int {
	var out []*big.Int
	for _, p := range strings.Split(v, ".") {
		n, ok := new(big.Int).SetString(p, 10)
		if !ok {
			n = big.NewInt(0)
		}
		out = append(out, n)
	}
	return out
}

func compareVersions(a, b []*big.Int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := a[i].Cmp(b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// upPart keeps the lines of the "up" section, blanks the rest (markers, the
// "down" section, psql meta-commands such as \connect or pg_dump's
// \restrict), so that line numbers are the file's own.
func upPart(content string, layout Layout) string {
	lines := strings.Split(content, "\n")
	up := true
	marker := func(l string) (isMarker, isUp, isDown bool) {
		t := strings.TrimSpace(l)
		switch layout {
		case LayoutGoose:
			tl := strings.ToLower(t)
			if strings.HasPrefix(tl, "-- +goose ") {
				return true, tl == "-- +goose up", tl == "-- +goose down"
			}
		case LayoutDbmate:
			if strings.HasPrefix(t, "-- migrate:") {
				return true, strings.HasPrefix(t, "-- migrate:up"), strings.HasPrefix(t, "-- migrate:down")
			}
		case LayoutSQLMigrate:
			if strings.HasPrefix(t, "-- +migrate ") {
				return true, strings.HasPrefix(t, "-- +migrate Up"), strings.HasPrefix(t, "-- +migrate Down")
			}
		case LayoutTern:
			if t == "---- create above / drop below ----" {
				return true, false, true
			}
		}
		return false, false, false
	}
	switch layout {
	case LayoutGoose, LayoutDbmate, LayoutSQLMigrate:
		up = false // nothing before the Up marker is applied
	}
	for i, l := range lines {
		if m, isUp, isDown := marker(l); m {
			if isUp {
				up = true
			} else if isDown {
				up = false
			}
			lines[i] = ""
			continue
		}
		if !up || strings.HasPrefix(strings.TrimSpace(l), `\`) {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}
