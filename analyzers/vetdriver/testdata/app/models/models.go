package models

type Package struct {
	ID              uint
	Name            string
	WeeklyDownloads int
}

type AuditEntry struct {
	ID     uint
	Action string
}

func (AuditEntry) TableName() string { return "audit_log" }
