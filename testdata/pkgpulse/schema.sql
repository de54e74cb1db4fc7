-- pkgpulse schema: the source of truth for the example application's tables.
-- It is what GORM's AutoMigrate would create for models.Package and
-- models.Version (same types, constraint and index names), written out so
-- that schema tools can read it and the scenario can apply it verbatim.

CREATE TABLE packages (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL,
    description      text,
    weekly_downloads bigint NOT NULL DEFAULT 0,
    created_at       timestamptz,
    updated_at       timestamptz
);

CREATE UNIQUE INDEX idx_packages_name ON packages (name);

CREATE TABLE versions (
    id           bigserial PRIMARY KEY,
    number       text NOT NULL,
    published_at timestamptz NOT NULL,
    package_id   bigint NOT NULL,
    CONSTRAINT fk_packages_versions FOREIGN KEY (package_id) REFERENCES packages (id)
);

CREATE INDEX idx_versions_package_id ON versions (package_id);
