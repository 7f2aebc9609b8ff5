-- Invites made in chat (`/moi`): who made each, so that she sees her open invites, how many
-- joined by each, and may revoke only her own. NULL for invites an operator made with the CLI.
-- Kept in step with ../postgres/0016_invites_in_chat.sql.
ALTER TABLE invites ADD COLUMN created_by INTEGER REFERENCES users(id);
CREATE INDEX invites_created_by ON invites (created_by, expires_at);
