-- The roster (issue 18 §4, §7): the members of each branch as the union keeps them, whether or
-- not they use the bot, and the log of who saw lists of people.
-- A forgotten row (`chihoi members forget`) loses its name, phone and link to the bot but keeps
-- its unit, status and honorary flag, so that counts and targets stay as they were.
-- Kept in step with ../postgres/0022_roster.sql.

CREATE TABLE roster_members (
    id            INTEGER PRIMARY KEY,
    -- her branch (or group)
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    name          TEXT,
    -- normalised Vietnamese form, 10 digits starting with 0; never written to the log
    phone         TEXT,
    -- active, unreachable or away (đi làm ăn xa)
    status        TEXT NOT NULL,
    honorary      INTEGER NOT NULL DEFAULT 0,
    -- her account on the bot, once matched (by phone or by her head)
    user_id       INTEGER,
    forgotten_at  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX roster_members_phone ON roster_members(phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX roster_members_user ON roster_members(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX roster_members_unit ON roster_members(unit_id);

-- Who saw or took a list holding personal data, when, and what (§7). `actor_id` is her
-- account on the bot; NULL for the operator's command line.
CREATE TABLE access_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor_id  INTEGER,
    actor     TEXT NOT NULL,
    what      TEXT NOT NULL,
    unit_id   INTEGER REFERENCES units(id),
    row_count INTEGER NOT NULL
);
CREATE INDEX access_log_at ON access_log(at);

-- Target 3's second half: over 90% of the roster reached by policy announcements this year.
INSERT INTO targets (code, number, level, goal_pct, rule, params, title_vi, title_en) VALUES
('t3b', 3, 'grassroots', 100, 'members_reached', '{"min_pct":90}',
 'Trên 90% hội viên được tuyên truyền chính sách, pháp luật', 'Over 90% of members reached by policy education');
-- "Has honorary members": an honorary member on the roster counts as well as the activity.
UPDATE targets SET rule = 'honorary_members', params = '{}' WHERE code = 't9a';
