-- A message sent as several of the platform's messages (a long text cut in parts on Zalo, a
-- photo then its text, a long caption sent before its file) records how many parts reached the
-- platform, so that a retry after a failure at part k starts at part k and never sends the
-- earlier parts again (src/delivery/mod.rs, issue 17).
-- Kept in step with ../postgres/0013_outbox_parts.sql.

ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
