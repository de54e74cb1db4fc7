package uow

import (
	"context"
	"fmt"
	"reflect"
	"strings"
)

// Upsert inserts entity or, when a row with the same conflict columns
// exists, updates that row's other columns (INSERT ... ON CONFLICT ... DO
// UPDATE ... RETURNING), at once, in one statement. Conflict columns are
// field or column names with a unique constraint; by default the primary
// key when it is set, else the entity's first unique field. CreatedAt keeps
// the existing row's value; UpdatedAt is set; a version column is
// incremented. The entity is managed afterwards, with every column as the
// database holds it.
func (em *EntityManager) Upsert(ctx context.Context, entity any, conflict ...string) error {
	if err := em.usable(); err != nil {
		return err
	}
	meta, rv, err := em.entityOf(entity)
	if err != nil {
		return fmt.Errorf("uow: Upsert: %w", err)
	}
	var conf []*Field
	for _, name := range conflict {
		f, ok := meta.Field(name)
		if !ok {
			return fmt.Errorf("uow: Upsert: %w: %s has no field or column %q", ErrUnknownField, meta.Name, name)
		}
		conf = append(conf, f)
	}
	if len(conf) == 0 {
		if _, ok := keyOf(meta, rv.Elem()); ok {
			conf = meta.PrimaryKey
		} else {
			for _, f := range meta.Fields {
				if f.Unique {
					conf = []*Field{f}
					break
				}
			}
		}
	}
	if len(conf) == 0 {
		return fmt.Errorf("uow: Upsert %s: no conflict columns: the key is not set and no field is unique; name them", meta.Name)
	}
	isConf := map[*Field]bool{}
	for _, f := range conf {
		isConf[f] = true
	}
	now := em.orm.now()
	w := reflect.New(meta.Type).Elem()
	w.Set(rv.Elem())
	var cols []*Field
	var args []any
	for _, f := range meta.Fields {
		fv := w.FieldByIndex(f.Index)
		if f.ReadOnly {
			continue
		}
		if fv.IsZero() {
			switch {
			case f.AutoCreateTime || f.AutoUpdateTime:
				setTime(fv, now, f.unixTime)
			case f.Version:
				setVersion(fv, nil, now)
			case f.PrimaryKey && f.Generated:
				continue
			case f.HasDefault && f.defaultValue.IsValid():
				fv.Set(f.defaultValue)
			case f.HasDefault:
				continue
			}
		} else if f.AutoUpdateTime {
			setTime(fv, now, f.unixTime)
		}
		a, err := fieldArg(f, fv)
		if err != nil {
			return fmt.Errorf("uow: Upsert %s: %w", meta.Name, err)
		}
		cols = append(cols, f)
		args = append(args, a)
	}
	table := quoteTable(meta.Table)
	var sets []string
	for _, f := range cols {
		if isConf[f] || f.PrimaryKey || f.AutoCreateTime {
			continue
		}
		if f.Version && isIntKind(f.Type.Kind()) {
			sets = append(sets, quoteIdent(f.Column)+" = "+table+"."+quoteIdent(f.Column)+" + 1")
			continue
		}
		sets = append(sets, quoteIdent(f.Column)+" = EXCLUDED."+quoteIdent(f.Column))
	}
	var action string
	if len(sets) > 0 {
		action = "DO UPDATE SET " + strings.Join(sets, ", ")
	} else {
		// DO NOTHING returns no row for an existing one: touch a conflict
		// column so RETURNING always has the row.
		action = "DO UPDATE SET " + quoteIdent(conf[0].Column) + " = EXCLUDED." + quoteIdent(conf[0].Column)
	}
	sqlText := "INSERT INTO " + table + " (" + colList(cols, "") + ") VALUES (" + placeholders(1, len(cols)) + ") ON CONFLICT (" +
		colList(conf, "") + ") " + action + " RETURNING " + selectList(meta, "")
	fresh := reflect.New(meta.Type)
	if err := em.executor().QueryRow(ctx, sqlText, args...).Scan(scanTargets(meta, fresh.Elem())...); err != nil {
		return em.orm.dbError("Upsert "+meta.Name, err)
	}
	em.rememberFields(meta, rv)
	for _, f := range meta.Fields {
		rv.Elem().FieldByIndex(f.Index).Set(fresh.Elem().FieldByIndex(f.Index))
	}
	k, _ := keyOf(meta, rv.Elem())
	if other := em.lookupID(meta, k); other != nil && other.ptr.UnsafePointer() != rv.UnsafePointer() {
		// Another object is the managed one for this row: bring it up to date.
		em.rememberFields(meta, other.ptr)
		em.remember(other)
		for _, f := range meta.Fields {
			other.val().FieldByIndex(f.Index).Set(fresh.Elem().FieldByIndex(f.Index))
		}
		other.snap = takeSnapshot(meta, other.val())
		return nil
	}
	if en := em.byPtr(meta, rv); en != nil {
		em.forget(en)
	}
	em.add(meta, rv, stateManaged)
	return nil
}
