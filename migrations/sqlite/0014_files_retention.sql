-- Shared files in parts (served one part at a time, never loaded whole), one per outbox row (a
-- retried send reuses its link), and tied to the unit and role she had when it was made (a link
-- dies as soon as either changes; her files are deleted then too).
-- Kept in step with ../postgres/0014_files_retention.sql.
CREATE TABLE shared_file_parts (
    token  TEXT NOT NULL,
    part   INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (token, part)
);
INSERT INTO shared_file_parts (token, part, bytes) SELECT token, 0, bytes FROM shared_files;
ALTER TABLE shared_files ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shared_files ADD COLUMN parts INTEGER NOT NULL DEFAULT 1;
UPDATE shared_files SET size = length(bytes);
ALTER TABLE shared_files DROP COLUMN bytes;
ALTER TABLE shared_files ADD COLUMN outbox_id INTEGER;
ALTER TABLE shared_files ADD COLUMN unit_id INTEGER;
ALTER TABLE shared_files ADD COLUMN role TEXT;
UPDATE shared_files SET unit_id = (SELECT u.unit_id FROM users u WHERE u.id = shared_files.user_id),
                        role = (SELECT u.role FROM users u WHERE u.id = shared_files.user_id);
CREATE UNIQUE INDEX shared_files_outbox ON shared_files(outbox_id);

-- When she took her current unit and role: the month's digest goes to no one for a month
-- before she joined. Unknown for those who joined before: their first day is taken.
ALTER TABLE users ADD COLUMN joined_at INTEGER;
UPDATE users SET joined_at = created_at WHERE unit_id IS NOT NULL;

-- An anonymous opinion keeps no link to its author: `author_id` is NULL for it (and cleared
-- for those stored before).
CREATE TABLE opinions_new (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    author_id   INTEGER REFERENCES users(id),
    anonymous   INTEGER NOT NULL,
    body        TEXT NOT NULL,
    period      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK (anonymous = 0 OR author_id IS NULL)
);
INSERT INTO opinions_new (id, unit_id, author_id, anonymous, body, period, created_at)
    SELECT id, unit_id, CASE WHEN anonymous = 0 THEN author_id END, anonymous, body, period, created_at
    FROM opinions;
DROP TABLE opinions;
ALTER TABLE opinions_new RENAME TO opinions;
CREATE INDEX opinions_unit_period ON opinions(unit_id, period);

-- Retention (the scheduler): sent messages lose their bodies, later their rows.
CREATE INDEX outbox_sent_with_body ON outbox(sent_at) WHERE status = 'sent' AND body IS NOT NULL;
CREATE INDEX outbox_sent ON outbox(sent_at) WHERE status = 'sent';
