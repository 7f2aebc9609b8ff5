-- Proposals (kiến nghị, issue 18 §6): a branch's proposal from its monthly report, or a member's
-- opinion its branch head forwarded up, tracked until the union answers it.
-- status: new (mới) → received (đã tiếp nhận) → forwarded (đã chuyển lên) → answered (đã trả lời).
-- `level` is the rung of the ladder that owns it (0 grassroots officers, 1 district admins,
-- 2 province admins, as src/alerts.rs LEVEL_ROLES); an unanswered one climbs a rung when
-- `climb_at` passes (src/proposals.rs), and stops once answered (`climb_at` NULL).
-- People are not foreign keys here: forgetting a person keeps the proposals.
-- Kept in step with ../postgres/0020_proposals.sql.

CREATE TABLE proposals (
    id              INTEGER PRIMARY KEY,
    -- the unit (branch) that raised it
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    -- 'report' or 'opinion'
    source          TEXT NOT NULL,
    -- the report month it was raised in (YYYY-MM), or the opinion's month
    period          TEXT NOT NULL,
    report_id       INTEGER,
    -- one proposal per forwarded opinion
    opinion_id      INTEGER UNIQUE,
    -- the member who wrote the opinion (NULL for an anonymous one, or from a report)
    author_id       INTEGER,
    -- the branch head who submitted the report or forwarded the opinion
    raised_by       INTEGER NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'new',
    level           INTEGER NOT NULL DEFAULT 0,
    climb_at        INTEGER,
    -- the latest month a report raised it again word for word ("Như tháng trước")
    repeated_period TEXT,
    reply           TEXT,
    answered_by     INTEGER,
    answered_unit_id INTEGER REFERENCES units(id),
    answered_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- One proposal per unit and report month: a corrected report updates it.
CREATE UNIQUE INDEX proposals_report ON proposals(unit_id, period) WHERE source = 'report';
CREATE INDEX proposals_open ON proposals(status, climb_at);
CREATE INDEX proposals_unit ON proposals(unit_id, id);
