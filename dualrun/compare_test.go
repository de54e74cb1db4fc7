package dualrun

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// pkgModel is shaped like a legacy GORM model; pkgEntity like a runtime
// entity for the same table, with a different Go shape.
type pkgModel struct {
	ID              uint `gorm:"primaryKey"`
	Name            string
	Description     *string
	WeeklyDownloads int
	CreatedAt       time.Time
	Versions        []verModel
}

type verModel struct {
	ID        uint
	Number    string
	PackageID uint
}

type pkgEntity struct {
	ID          int64
	Name        string
	Description *string
	Downloads   int `gorm:"column:weekly_downloads"`
	CreatedAt   time.Time
}

func TestDiffValues(t *testing.T) {
	desc := "x"
	now := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	cases := []struct {
		name  string
		a, b  any
		opts  []any
		equal bool
		diff  []string
	}{
		{"equal ints of different types", int32(5), int64(5), nil, true, nil},
		{"pointer vs value", &pkgModel{ID: 1, Name: "a"}, pkgModel{ID: 1, Name: "a"}, nil, true, nil},
		{"nil vs value", (*pkgModel)(nil), &pkgModel{}, nil, false, []string{"(value): control nil"}},
		{"field", pkgModel{ID: 1, Name: "a"}, pkgModel{ID: 1, Name: "b"}, nil, false, []string{`.Name: control "a", candidate "b"`}},
		{"nested pointer field", pkgModel{Description: &desc}, pkgModel{}, nil, false, []string{`.Description: control "x", candidate nil`}},
		{"list length and element", []int{1, 2, 3}, []int{1, 5}, nil, false, []string{"control has 3 element(s), candidate 2", "[1]: control 2, candidate 5", "[2]: control 3, missing in candidate"}},
		{"order matters by default", []int{1, 2}, []int{2, 1}, nil, false, []string{"[0]: control 1, candidate 2"}},
		{"order ignored", []int{1, 2, 2}, []int{2, 1, 2}, []any{IgnoreOrder()}, true, nil},
		{"order ignored, extra element", []int{1, 2}, []int{2, 1, 1}, []any{IgnoreOrder()}, false, []string{"candidate 1, no equal element in control"}},
		{"float tolerance", 1.0, 1.0000001, []any{FloatTolerance(1e-6)}, true, nil},
		{"float beyond tolerance", 1.0, 1.1, []any{FloatTolerance(1e-6)}, false, []string{"control 1, candidate 1.1"}},
		{"time precision", now, now.Truncate(time.Microsecond), []any{TimePrecision(time.Microsecond)}, true, nil},
		{"time nanoseconds differ", now, now.Truncate(time.Microsecond), nil, false, []string{"2024-05-01T12:00:00.123456789Z"}},
		{"time zones are instants", now, now.In(time.FixedZone("x", 3600)), nil, true, nil},
		{"ignored field", pkgModel{ID: 1, CreatedAt: now}, pkgModel{ID: 1}, []any{IgnoreFields("CreatedAt")}, true, nil},
		{"maps", map[string]int{"a": 1, "b": 2}, map[string]int{"a": 1, "c": 2}, nil, false, []string{"[b]: control 2, missing in candidate", "[c]: missing in control, candidate 2"}},
		{"max diffs", []int{1, 2, 3, 4}, []int{5, 6, 7, 8}, []any{MaxDiffs(2)}, false, []string{"4 difference(s), first 2", "[1]: control 2, candidate 6"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			equal, diff := Diff(c.a, c.b, c.opts...)
			if equal != c.equal {
				t.Fatalf("equal = %v, want %v (diff %q)", equal, c.equal, diff)
			}
			for _, want := range c.diff {
				if !strings.Contains(diff, want) {
					t.Errorf("diff %q does not contain %q", diff, want)
				}
			}
			if c.name == "max diffs" && strings.Contains(diff, "[2]") {
				t.Errorf("diff lists more than 2 differences: %q", diff)
			}
		})
	}
}

func TestEntityRows(t *testing.T) {
	now := time.Now()
	legacy := []pkgModel{
		{ID: 1, Name: "left-pad", WeeklyDownloads: 10, CreatedAt: now, Versions: []verModel{{ID: 9}}},
		{ID: 2, Name: "is-even", WeeklyDownloads: 3, CreatedAt: now},
	}
	// A different Go type and pointer elements: the same rows.
	modern := []*pkgEntity{
		{ID: 1, Name: "left-pad", Downloads: 10, CreatedAt: now},
		{ID: 2, Name: "is-even", Downloads: 3, CreatedAt: now},
	}
	if eq, diff := Diff(legacy, modern, Entities()); !eq {
		t.Fatalf("same rows reported different:\n%s", diff)
	}
	// Without entity mode the field names differ (Downloads, Versions).
	if eq, _ := Diff(legacy, modern); eq {
		t.Fatal("without Entities, differently shaped structs must not compare equal")
	}
	modern[1].Downloads = 4
	eq, diff := Diff(legacy, modern, Entities())
	if eq || !strings.Contains(diff, "[id=2].weekly_downloads: control 3, candidate 4") {
		t.Fatalf("diff = %q", diff)
	}
	// Rows are aligned by primary key: an extra row is one difference, not
	// a cascade of shifted elements; a different order is reported once.
	extra := append([]*pkgEntity{{ID: 0, Name: "zero"}}, modern...)
	eq, diff = Diff(legacy, extra, Entities())
	if eq || !strings.Contains(diff, `[id=0]: row only in candidate: {id:0, name:"zero"`) || strings.Contains(diff, "[id=1]") {
		t.Fatalf("extra row diff = %q", diff)
	}
	reversed := []*pkgEntity{modern[1], modern[0]}
	eq, diff = Diff(legacy, reversed, Entities())
	if eq || !strings.Contains(diff, "rows in a different order: control id=1 id=2, candidate id=2 id=1") {
		t.Fatalf("order diff = %q", diff)
	}
	// Reversed order matches with IgnoreOrder; ignore by column name.
	modern[1].Downloads = 3
	modern[0], modern[1] = modern[1], modern[0]
	modern[0].CreatedAt = now.Add(time.Hour)
	if eq, diff := Diff(legacy, modern, Entities(), IgnoreOrder(), IgnoreFields("created_at")); !eq {
		t.Fatalf("order-insensitive rows: %s", diff)
	}
	ec, ok := DefaultColumns(typeOf[pkgModel]())
	if !ok || ec.Table != "pkg_models" || len(ec.Columns) != 5 || ec.Columns[3].Name != "weekly_downloads" ||
		len(ec.PrimaryKey) != 1 || ec.PrimaryKey[0] != "id" || len(ec.Relations) != 1 || ec.Relations[0].Name != "Versions" {
		t.Errorf("DefaultColumns(pkgModel) = %+v %v", ec, ok)
	}
	if _, ok := DefaultColumns(typeOf[time.Time]()); ok {
		t.Error("time.Time is not an entity")
	}
}

func TestDeepCopy(t *testing.T) {
	desc := "d"
	in := []pkgModel{{ID: 1, Description: &desc, Versions: []verModel{{Number: "1.0"}}}}
	out := deepCopy(in)
	*in[0].Description = "changed"
	in[0].Versions[0].Number = "2.0"
	in[0].ID = 5
	if *out[0].Description != "d" || out[0].Versions[0].Number != "1.0" || out[0].ID != 1 {
		t.Errorf("copy shares memory with the original: %+v", out[0])
	}
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }
