-- Target re-evaluation after a report or an activity, queued in the transaction that changed
-- the figures and done off the reply path (coalesced by grassroots union), and before any view
-- or export reads the snapshot. Kept in step with ../postgres/0006_target_queue.sql.
CREATE TABLE target_refresh (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL,
    queued_at  INTEGER NOT NULL
);

-- Each running instance's heartbeat: the outbox rows leased by an instance that has stopped
-- beating (killed, crashed) are taken over within seconds instead of after the lease.
CREATE TABLE instances (
    name     TEXT PRIMARY KEY,
    seen_at  INTEGER NOT NULL
);
