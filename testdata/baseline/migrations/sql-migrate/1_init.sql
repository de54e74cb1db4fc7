-- +migrate Up
-- +migrate StatementBegin
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS citext;

CREATE SCHEMA ext;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ext;
CREATE FUNCTION is_valid_code(t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT t ~ '^[A-Z]{3}$' $$;
CREATE DOMAIN currency_code AS text CONSTRAINT currency_code_check CHECK (is_valid_code(VALUE));
CREATE SCHEMA billing;
COMMENT ON SCHEMA billing IS 'invoices';
COMMENT ON SCHEMA billing IS 'invoices and payments';

CREATE TYPE mood AS ENUM ('sad', 'happy');
ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';
COMMENT ON TYPE mood IS 'how a user feels';
CREATE DOMAIN positive_amount AS numeric(12,2) DEFAULT 0 NOT NULL CONSTRAINT positive_amount_check CHECK (VALUE >= 0);
CREATE TYPE billing.address AS (street text, city text COLLATE "C");
ALTER TYPE billing.address ADD ATTRIBUTE zip varchar(10);

CREATE SEQUENCE billing.invoice_no START WITH 1000 INCREMENT BY 5 MINVALUE 1000 MAXVALUE 9999999 CACHE 10;
ALTER SEQUENCE billing.invoice_no CYCLE;

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION touch_updated_at() IS 'sets updated_at';

CREATE FUNCTION add_tax(amount numeric, rate numeric DEFAULT 0.1) RETURNS numeric LANGUAGE sql AS $$ SELECT amount * (1 + rate) $$;
CREATE OR REPLACE FUNCTION add_tax(amount numeric, rate numeric DEFAULT 0.2) RETURNS numeric AS $$ SELECT amount * (1 + rate) $$ LANGUAGE sql STRICT IMMUTABLE;

CREATE PROCEDURE billing.close_month(month date) LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'closing %', month;
END
$$;
-- +migrate StatementEnd

-- +migrate Down
DROP TABLE IF EXISTS users CASCADE;
CREATE TABLE down_section_was_applied (id int);
