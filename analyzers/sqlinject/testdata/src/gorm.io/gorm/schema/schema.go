// Package schema is a stub of gorm.io/gorm/schema@v1.31.2.
package schema

type Field struct {
	Name   string
	DBName string
}

type Schema struct {
	Table          string
	FieldsByDBName map[string]*Field
	FieldsByName   map[string]*Field
}

func (schema *Schema) LookUpField(name string) *Field { return nil }
