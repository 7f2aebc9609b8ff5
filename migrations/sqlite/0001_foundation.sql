-- Foundation: the unit tree, people, invites, dialogs, reports, urgent reports, opinions.
-- Times are unix seconds (UTC). Kept in step with ../postgres/0001_foundation.sql.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    parent_id   INTEGER REFERENCES units(id),
    level       TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- materialized path of ids, '/1/4/17/': a subtree is a range scan on this column
    path        TEXT NOT NULL DEFAULT '',
    depth       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_path ON units(path);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    platform          TEXT NOT NULL,
    platform_user_id  TEXT NOT NULL,
    chat_id           TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    lang              TEXT NOT NULL,
    unit_id           INTEGER REFERENCES units(id),
    role              TEXT,
    reachable         INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    UNIQUE (platform, platform_user_id)
);
CREATE INDEX users_unit_role ON users(unit_id, role);

CREATE TABLE invites (
    code        TEXT PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    role        TEXT NOT NULL,
    max_uses    INTEGER NOT NULL,
    uses        INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE invite_redemptions (
    code        TEXT NOT NULL REFERENCES invites(code),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    redeemed_at INTEGER NOT NULL,
    PRIMARY KEY (code, user_id)
);

CREATE TABLE join_requests (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  INTEGER REFERENCES users(id)
);
CREATE UNIQUE INDEX join_requests_one_pending ON join_requests(user_id) WHERE status = 'pending';

-- One row per platform update handled: a redelivered update finds its key and changes nothing.
CREATE TABLE processed_updates (
    update_key    TEXT PRIMARY KEY,
    processed_at  INTEGER NOT NULL
);

CREATE TABLE dialog_states (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id),
    version     INTEGER NOT NULL,
    state       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE report_drafts (
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    period      TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES users(id),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (unit_id, period)
);

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    period          TEXT NOT NULL,
    author_id       INTEGER NOT NULL REFERENCES users(id),
    labour_level    TEXT NOT NULL,
    labour_note     TEXT,
    living_level    TEXT NOT NULL,
    living_note     TEXT,
    thoughts_level  TEXT NOT NULL,
    thoughts_note   TEXT,
    proposals       TEXT,
    submitted_at    INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    revision        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (unit_id, period)
);
CREATE INDEX reports_period ON reports(period);

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    field        TEXT NOT NULL,
    severity     TEXT NOT NULL,
    people       INTEGER NOT NULL,
    description  TEXT NOT NULL
);
CREATE INDEX incidents_report ON incidents(report_id);

CREATE TABLE urgent_reports (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    reporter_id  INTEGER NOT NULL REFERENCES users(id),
    field        TEXT NOT NULL,
    severity     TEXT NOT NULL,
    people       INTEGER NOT NULL,
    description  TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX urgent_reports_unit ON urgent_reports(unit_id);

CREATE TABLE opinions (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    author_id   INTEGER NOT NULL REFERENCES users(id),
    anonymous   INTEGER NOT NULL,
    body        TEXT NOT NULL,
    period      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX opinions_unit_period ON opinions(unit_id, period);
