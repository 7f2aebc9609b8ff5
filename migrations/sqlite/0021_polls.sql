-- Polls and comments on drafts (issue 18 §3, /laykien): a question (or a draft document to
-- comment on) an officer or a branch head sends to the members, branch heads or officers of a
-- unit in her subtree, with 2–5 options and/or free-text comments, closing at `closes_at`.
-- One row per person and poll in `poll_recipients` holds her answer: a changed answer replaces
-- the old one, so each person counts once. The unit she was in when it was sent is copied onto
-- her row, so results per unit and per area are one indexed read.
-- The messages ride the announcements' bulk lane: outbox rows of kind 'announcement' whose
-- `body` says 'poll' (the question) or 'poll-result' (her area's result at close), so that a
-- poll to a province never holds up a reply or an alert (src/storage/polls.rs says why).
-- People are not foreign keys here: forgetting a person keeps the counts.
-- Kept in step with ../postgres/0021_polls.sql.

CREATE TABLE polls (
    id              INTEGER PRIMARY KEY,
    sender_id       INTEGER NOT NULL,
    sender_unit_id  INTEGER NOT NULL REFERENCES units(id),
    -- the audience: people of `audience` (members, heads, officers) in this unit's subtree
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    audience        TEXT NOT NULL,
    -- 1: comments on a draft document (dự thảo), which counts towards target 7
    on_draft        INTEGER NOT NULL,
    question        TEXT NOT NULL,
    -- the options as a JSON array of strings (0 to 5; none: comments only)
    options         TEXT NOT NULL,
    -- 1: recipients may write a comment
    comments        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    closes_at       INTEGER NOT NULL,
    -- set once by the scheduler tick that closed it (results sent then)
    closed_at       INTEGER,
    -- the draft_comment activity recorded for target 7
    activity_id     INTEGER
);
CREATE INDEX polls_sender ON polls(sender_id, id);
CREATE INDEX polls_due ON polls(closes_at) WHERE closed_at IS NULL;

CREATE TABLE poll_recipients (
    poll_id      INTEGER NOT NULL REFERENCES polls(id),
    user_id      INTEGER NOT NULL,
    -- her unit when it was sent (results per unit; her area's result at close)
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    -- the message queued to her; NULL when she could not be reached when it was sent
    outbox_id    INTEGER,
    -- her option (1-based), her comment, and when she last answered
    choice       INTEGER,
    comment      TEXT,
    answered_at  INTEGER,
    PRIMARY KEY (poll_id, user_id)
);
CREATE INDEX poll_recipients_user ON poll_recipients(user_id, poll_id);
