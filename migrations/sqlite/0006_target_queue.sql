-- Target re-evaluation after a report or an activity, queued in the transaction that changed
-- the figures and done off the reply path (coalesced by grassroots union), and before any view
-- or export reads the snapshot. Kept in step with ../postgres/0006_target_queue.sql.
CREATE TABLE target_refresh (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL,
    queued_at  INTEGER NOT NULL
);
