-- How far each grassroots union stands on each target in a year: for a branch-level target, how
-- many of its branches meet it out of how many; for a union-level target, 0 or 1 of 1. Kept
-- current as reports, activities and figures arrive (the union concerned is re-evaluated in the
-- same transaction) and re-evaluated in full once a day, so that `/chitieu` over a province
-- sums a thousand rows instead of evaluating every rule over every unit.
-- Kept in step with ../sqlite/0004_target_status.sql.
CREATE TABLE target_counts (
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    year         BIGINT NOT NULL,
    target_code  TEXT NOT NULL,
    achieved     BIGINT NOT NULL,
    total        BIGINT NOT NULL,
    PRIMARY KEY (unit_id, year, target_code)
);
