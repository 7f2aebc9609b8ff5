-- Which units meet which target in a year: a snapshot kept current as reports, activities and
-- figures arrive (refreshed for the union concerned) and refreshed in full once a day, so that
-- `/chitieu` over a province reads counts instead of evaluating every rule over every unit.
-- Kept in step with ../postgres/0004_target_status.sql.
CREATE TABLE target_status (
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    year         INTEGER NOT NULL,
    target_code  TEXT NOT NULL,
    PRIMARY KEY (unit_id, year, target_code)
);
CREATE INDEX target_status_year ON target_status(year, target_code);
