-- Announcements (issue 18, /thongbao): a short text an officer or a branch head sends to the
-- members, branch heads or officers of a unit in her subtree, who confirm reading it.
-- `recipients` keeps one row per person and announcement; its `read_at` is what target 3 counts
-- (roster members who confirmed reading a policy announcement in a year), with the kind and the
-- unit she was in copied onto the row so that the count is one indexed read.
-- People are not foreign keys here: forgetting a person keeps the counts.
-- Kept in step with ../postgres/0017_announcements.sql.

CREATE TABLE announcements (
    id              INTEGER PRIMARY KEY,
    sender_id       INTEGER NOT NULL,
    sender_unit_id  INTEGER NOT NULL REFERENCES units(id),
    -- the audience: people of `audience` (members, heads, officers) in this unit's subtree
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    audience        TEXT NOT NULL,
    -- policy (tuyên truyền chính sách, pháp luật) or other
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    -- the unread were reminded (once)
    reminded_at     INTEGER
);
CREATE INDEX announcements_sender ON announcements(sender_id, id);

CREATE TABLE announcement_recipients (
    announcement_id  INTEGER NOT NULL REFERENCES announcements(id),
    user_id          INTEGER NOT NULL,
    -- her unit when it was sent (reach per unit; target 3 per grassroots union)
    unit_id          INTEGER NOT NULL REFERENCES units(id),
    kind             TEXT NOT NULL,
    -- the message queued to her; NULL when she could not be reached when it was sent
    outbox_id        INTEGER,
    read_at          INTEGER,
    PRIMARY KEY (announcement_id, user_id)
);
CREATE INDEX announcement_recipients_user ON announcement_recipients(user_id, read_at);
CREATE INDEX announcement_reads ON announcement_recipients(kind, read_at, unit_id);

-- Kinds of announcement a person has stopped ("Dừng nhận tin này").
CREATE TABLE announcement_stops (
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- The courier claims announcements after every other message (src/storage/outbox.rs): these
-- indexes keep both claims from reading through the other's rows.
CREATE INDEX outbox_claim_not_bulk ON outbox(status, urgent, id) WHERE kind <> 'announcement';
CREATE INDEX outbox_claim_bulk ON outbox(status, id) WHERE kind = 'announcement';
