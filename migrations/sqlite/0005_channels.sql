-- Channels: one person on several apps, the last list of choices shown in a text-only chat,
-- and files shared by link on platforms that take no uploads (Zalo).
-- Kept in step with ../postgres/0005_channels.sql.

-- Each app account (platform identity) belongs to one person (`users`). A person's `users`
-- row keeps the app she wrote from last (platform, platform_user_id, chat_id): reminders and
-- alerts go there.
CREATE TABLE identities (
    platform          TEXT NOT NULL,
    platform_user_id  TEXT NOT NULL,
    user_id           INTEGER NOT NULL REFERENCES users(id),
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (platform, platform_user_id)
);
CREATE INDEX identities_user ON identities(user_id);
INSERT INTO identities (platform, platform_user_id, user_id, created_at)
    SELECT platform, platform_user_id, id, created_at FROM users;

-- `/lienket`: a short one-time code, given on one app and sent from the other.
CREATE TABLE link_codes (
    code        TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    expires_at  INTEGER NOT NULL
);
CREATE INDEX link_codes_user ON link_codes(user_id);

-- The last list of choices a text-only chat was shown, in reading order as JSON
-- [[label, data], …]; a typed number (or letter, when `lettered`) or the option's words pick
-- from it.
CREATE TABLE chat_choices (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    choices    TEXT NOT NULL,
    lettered   INTEGER NOT NULL,
    shown_at   INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id)
);

-- Charts and exports for platforms that take no uploads: served at an unguessable link until
-- `expires_at`.
CREATE TABLE shared_files (
    token         TEXT PRIMARY KEY,
    user_id       INTEGER REFERENCES users(id),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    expires_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX shared_files_expiry ON shared_files(expires_at);
