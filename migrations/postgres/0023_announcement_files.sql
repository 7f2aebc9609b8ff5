-- An announcement's photo or document (issue 18): the platform's id of the file (Telegram keeps
-- it; recipients there get it by that id), its kind, name, type and size; and, once a Zalo
-- recipient's turn has come, the token of the one copy kept for Zalo's links (shared_files),
-- with its expiry. NULL `file_kind`: text only.
-- Kept in step with ../sqlite/0023_announcement_files.sql.

ALTER TABLE announcements ADD COLUMN file_kind TEXT;
ALTER TABLE announcements ADD COLUMN file_id TEXT;
ALTER TABLE announcements ADD COLUMN file_name TEXT;
ALTER TABLE announcements ADD COLUMN file_type TEXT;
ALTER TABLE announcements ADD COLUMN file_size BIGINT;
ALTER TABLE announcements ADD COLUMN file_token TEXT;

-- A large audience is queued a chunk at a time (src/storage/announcements.rs): the last
-- recipient's id queued so far (NULL once all are), and when its messages may go out.
ALTER TABLE announcements ADD COLUMN queue_after BIGINT;
ALTER TABLE announcements ADD COLUMN queue_not_before BIGINT;
