-- Exports read a month's activities a chunk of units at a time (src/export.rs): by unit and
-- month, where activities_unit_year found a unit's whole year and read each row to keep one
-- month's (issue 21, docs/BENCHMARKS.md).
-- Kept in step with ../postgres/0010_exports.sql.

CREATE INDEX activities_unit_period ON activities(unit_id, period);
