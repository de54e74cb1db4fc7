package baseline

import (
	"context"
	"testing"

	"github.com/ormshift/ormshift/internal/pgtest"
)

// TestDiffSQLRepairs: the SQL of a difference takes the first database to
// the second, for changes of many kinds at once.
func TestDiffSQLRepairs(t *testing.T) {
	a, b := pgtest.New(t), pgtest.New(t)
	applySQL(t, a, fixtureSQL(t))
	applySQL(t, b, fixtureSQL(t))
	applySQL(t, b, `
CREATE TYPE priority AS ENUM ('low', 'high');
ALTER TYPE mood ADD VALUE 'ecstatic';
ALTER TABLE users ADD COLUMN nickname text, ADD COLUMN prio priority DEFAULT 'low';
ALTER TABLE users ALTER COLUMN tenant_id DROP NOT NULL, ALTER COLUMN score SET DEFAULT 10;
ALTER TABLE users ALTER COLUMN updated_at TYPE timestamptz;
ALTER TABLE users DROP CONSTRAINT users_score_check;
ALTER TABLE users ADD CONSTRAINT users_score_max CHECK (score < 1000000);
ALTER TABLE rooms DROP COLUMN during;
DROP INDEX billing.invoices_tags_gin;
CREATE INDEX users_prio_idx ON users (prio) WHERE prio = 'high';
DROP VIEW top_users;
CREATE OR REPLACE VIEW active_users AS SELECT id, email, score, nickname FROM users WHERE score > 0;
CREATE OR REPLACE FUNCTION add_tax(amount numeric, rate numeric DEFAULT 0.25) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT amount * (1 + rate) $$;
DROP TRIGGER users_touch ON users;
CREATE TRIGGER users_touch2 BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE POLICY documents_delete ON documents FOR DELETE USING (owner_id = 0);
DROP POLICY documents_insert ON documents;
COMMENT ON TABLE users IS 'people';
COMMENT ON COLUMN users.email IS NULL;
CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint REFERENCES users(id), at timestamptz DEFAULT now());
CREATE SEQUENCE ticket_no START 5;
ALTER SEQUENCE billing.invoice_no MAXVALUE 99999999;
DROP TABLE events CASCADE;
CREATE SCHEMA reports;
CREATE VIEW reports.by_tenant AS SELECT tenant_id, count(*) AS n FROM users GROUP BY tenant_id;`)
	from, to := inspect(t, a), inspect(t, b)
	d := Diff(from, to)
	if d.Equal() {
		t.Fatal("no differences found")
	}
	if _, err := a.Pool.Exec(context.Background(), d.SQL()); err != nil {
		t.Fatalf("apply drift SQL: %v\n%s", err, d.SQL())
	}
	if d2 := Diff(inspect(t, a), to); !d2.Equal() {
		t.Errorf("after the SQL, still:\n%s\nSQL was:\n%s", d2.Text(), d.SQL())
	}
}
