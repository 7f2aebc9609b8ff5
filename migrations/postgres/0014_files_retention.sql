-- Shared files in parts (served one part at a time, never loaded whole), one per outbox row (a
-- retried send reuses its link), and tied to the unit and role she had when it was made (a link
-- dies as soon as either changes; her files are deleted then too).
-- Kept in step with ../sqlite/0014_files_retention.sql.
CREATE TABLE shared_file_parts (
    token  TEXT NOT NULL,
    part   BIGINT NOT NULL,
    bytes  BYTEA NOT NULL,
    PRIMARY KEY (token, part)
);
INSERT INTO shared_file_parts (token, part, bytes) SELECT token, 0, bytes FROM shared_files;
ALTER TABLE shared_files ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shared_files ADD COLUMN parts BIGINT NOT NULL DEFAULT 1;
UPDATE shared_files SET size = length(bytes);
ALTER TABLE shared_files DROP COLUMN bytes;
ALTER TABLE shared_files ADD COLUMN outbox_id BIGINT;
ALTER TABLE shared_files ADD COLUMN unit_id BIGINT;
ALTER TABLE shared_files ADD COLUMN role TEXT;
UPDATE shared_files SET unit_id = u.unit_id, role = u.role FROM users u WHERE u.id = shared_files.user_id;
CREATE UNIQUE INDEX shared_files_outbox ON shared_files(outbox_id);

-- When she took her current unit and role: the month's digest goes to no one for a month
-- before she joined. Unknown for those who joined before: their first day is taken.
ALTER TABLE users ADD COLUMN joined_at BIGINT;
UPDATE users SET joined_at = created_at WHERE unit_id IS NOT NULL;

-- An anonymous opinion keeps no link to its author: `author_id` is NULL for it (and cleared
-- for those stored before).
ALTER TABLE opinions ALTER COLUMN author_id DROP NOT NULL;
UPDATE opinions SET author_id = NULL WHERE anonymous <> 0;
ALTER TABLE opinions ADD CONSTRAINT opinions_anonymous_no_author CHECK (anonymous = 0 OR author_id IS NULL);

-- Retention (the scheduler): sent messages lose their bodies, later their rows.
CREATE INDEX outbox_sent_with_body ON outbox(sent_at) WHERE status = 'sent' AND body IS NOT NULL;
CREATE INDEX outbox_sent ON outbox(sent_at) WHERE status = 'sent';
