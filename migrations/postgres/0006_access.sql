-- Access that can be taken away: when each person last wrote to the bot (for
-- `chihoi user list`). Kept in step with ../sqlite/0006_access.sql.

-- Unix seconds of her last message or tap; NULL until she writes again.
ALTER TABLE users ADD COLUMN last_seen_at BIGINT;
