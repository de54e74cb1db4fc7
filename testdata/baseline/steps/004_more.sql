CREATE TABLE rooms (
    id integer PRIMARY KEY,
    during tstzrange NOT NULL
);
ALTER TABLE rooms ADD CONSTRAINT rooms_no_overlap EXCLUDE USING gist (id WITH =, during WITH &&);

CREATE TABLE events (
    id bigint NOT NULL,
    happened_at timestamptz NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (id, happened_at)
) PARTITION BY RANGE (happened_at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
CREATE TABLE events_2025 (id bigint);
DROP TABLE events_2025;
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');
CREATE INDEX events_payload_idx ON events USING gin (payload);

CREATE TABLE documents (
    id integer PRIMARY KEY,
    owner_id bigint NOT NULL,
    body text,
    scratch text
);
ALTER TABLE documents DROP COLUMN scratch;
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_owner ON documents FOR SELECT USING (owner_id = current_setting('app.user_id')::bigint);
CREATE POLICY documents_insert ON documents AS RESTRICTIVE FOR INSERT TO public WITH CHECK (owner_id > 0);

CREATE TABLE scratch (id int);
DROP TABLE scratch;
