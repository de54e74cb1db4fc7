-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE PROCEDURE touch_updated_at();
COMMENT ON TRIGGER users_touch ON users IS 'keeps updated_at fresh';

CREATE VIEW active_users AS SELECT id, email FROM users WHERE score > 0;
CREATE OR REPLACE VIEW active_users AS SELECT id, email, score FROM users WHERE score > 0;
CREATE VIEW top_users AS SELECT id, email FROM active_users WHERE score > 100;
COMMENT ON VIEW top_users IS 'best users';
CREATE MATERIALIZED VIEW billing.revenue AS SELECT user_id, sum(total::numeric) AS total FROM billing.invoices GROUP BY user_id;
CREATE UNIQUE INDEX revenue_user_idx ON billing.revenue (user_id);
CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT count(*) FROM users;
END;
CREATE INDEX users_name_trgm ON users USING gin (name ext.gin_trgm_ops);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE IF EXISTS users CASCADE;
CREATE TABLE down_section_was_applied (id int);
-- +goose StatementEnd
