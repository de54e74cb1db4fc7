SET search_path TO billing, public;
CREATE TABLE invoices (
    id serial PRIMARY KEY,
    number bigint NOT NULL DEFAULT nextval('billing.invoice_no'),
    user_id bigint NOT NULL REFERENCES public.users ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    total positive_amount,
    ship_to address,
    tags text[] NOT NULL DEFAULT '{}',
    issued_on date NOT NULL,
    paid boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX invoices_number_idx ON invoices USING btree (number) INCLUDE (total) WHERE (NOT paid);
CREATE INDEX ON invoices (lower(tags[1]));
ALTER INDEX invoices_lower_idx RENAME TO invoices_lower_tags_idx;
CREATE INDEX invoices_tags_gin ON invoices USING gin (tags);
CREATE INDEX invoices_issued_on_idx ON invoices (issued_on);
DROP INDEX invoices_issued_on_idx;
COMMENT ON INDEX invoices_number_idx IS 'unpaid numbers are unique';
COMMENT ON CONSTRAINT invoices_user_id_fkey ON invoices IS 'owner';
SET search_path TO public;
