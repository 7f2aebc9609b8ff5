-- Access that can be taken away: when each person last wrote to the bot (for
-- `chihoi user list`), and invites an operator revoked (`chihoi invite revoke`).
-- Kept in step with ../sqlite/0007_access.sql.

-- Unix seconds of her last message or tap; NULL until she writes again.
ALTER TABLE users ADD COLUMN last_seen_at BIGINT;

-- Set once, by `chihoi invite revoke`: the code no longer works, and nobody it was given to
-- (not even someone who used it before) gets a role from it again.
ALTER TABLE invites ADD COLUMN revoked_at BIGINT;
