-- Durable outbox, calendar overrides, and the urgent-report escalation ladder.
-- Kept in step with ../postgres/0002_outbox_calendar_alerts.sql.

-- Every message the bot sends is a row here first, written in the same transaction as what
-- caused it. Scheduled kinds (reminders, overdue summaries, alerts) carry parameters and are
-- rendered when sent, in the recipient's language and with fresh data; replies carry `body`.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    -- unique per logical message (unit, period, kind, recipient…): a second tick, a restart or
    -- a second instance cannot enqueue it twice
    dedupe_key   TEXT UNIQUE,
    kind         TEXT NOT NULL,
    platform     TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    user_id      INTEGER REFERENCES users(id),
    unit_id      INTEGER REFERENCES units(id),
    period       TEXT,
    ref_id       INTEGER,
    body         TEXT,
    urgent       INTEGER NOT NULL DEFAULT 0,
    not_before   INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    lease_owner  TEXT,
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER
);
CREATE INDEX outbox_claim ON outbox(status, urgent, id);
CREATE INDEX outbox_chat ON outbox(chat_id, status);

-- Per top unit (province) overrides of the deployment's reporting calendar, as JSON.
CREATE TABLE calendar_overrides (
    unit_id     INTEGER PRIMARY KEY REFERENCES units(id),
    settings    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The ladder: level 0 grassroots officers, 1 district admins, 2 province admins.
ALTER TABLE urgent_reports ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE urgent_reports ADD COLUMN escalate_at INTEGER;
ALTER TABLE urgent_reports ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE urgent_reports ADD COLUMN handled_by INTEGER REFERENCES users(id);
ALTER TABLE urgent_reports ADD COLUMN source TEXT NOT NULL DEFAULT 'adhoc';
-- 'report:<report id>:<n>' for an incident of a monthly report; one alert per incident.
ALTER TABLE urgent_reports ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX urgent_reports_origin ON urgent_reports(origin);
CREATE INDEX urgent_reports_due ON urgent_reports(status, escalate_at);

CREATE TABLE alert_events (
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES urgent_reports(id),
    status      TEXT NOT NULL,
    level       INTEGER NOT NULL,
    by_user     INTEGER REFERENCES users(id),
    at          INTEGER NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events(alert_id);

CREATE INDEX reports_unit_period ON reports(unit_id, period);
CREATE INDEX users_role ON users(role, reachable);
