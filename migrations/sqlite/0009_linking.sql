-- Linking two apps safely (issue 17): a code typed on a new app's account asks the account
-- that has joined, which confirms; wrong codes are counted to stop guessing; the invites a
-- person used are remembered for the person, on every account that is or was hers.
-- Kept in step with ../postgres/0009_linking.sql.

-- Each app account's own chat (a Zalo chat's id is not the account's id): an account
-- unlinked from a person is told there. Filled as each account next writes; known now for the
-- account each person is reached on.
ALTER TABLE identities ADD COLUMN chat_id TEXT;
UPDATE identities SET chat_id = (
    SELECT u.chat_id FROM users u
    WHERE u.platform = identities.platform AND u.platform_user_id = identities.platform_user_id
);

-- A code typed on `requester_id`'s account, waiting for `owner_id` (who made the code) to
-- confirm. `status`: pending, linked, refused, expired, withdrawn.
CREATE TABLE link_requests (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id),
    requester_id  INTEGER NOT NULL REFERENCES users(id),
    -- The requesting account as the owner is asked about it ("Telegram", "Hoa").
    platform      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER
);
CREATE INDEX link_requests_requester ON link_requests(requester_id, status);

-- A code typed that matched nothing (wrong, used or expired), per account and overall: the
-- per-account and overall limits (src/domain/limits.rs) count these rows.
CREATE TABLE link_failures (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX link_failures_user ON link_failures(user_id, created_at);
CREATE INDEX link_failures_at ON link_failures(created_at);

-- Invites a person has used, on whichever of her accounts: written when she redeems one,
-- carried into the person her account is linked to, and kept by an account unlinked from her.
-- `invite_redemptions` stays the record of who redeemed what (and counts uses).
CREATE TABLE invite_history (
    code     TEXT NOT NULL REFERENCES invites(code),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (code, user_id)
);
INSERT INTO invite_history (code, user_id) SELECT code, user_id FROM invite_redemptions;
-- An account merged before this release left its redemptions on its retired row
-- (platform 'merged', platform_user_id '<from>><into>'): they belong to the person it joined.
INSERT OR IGNORE INTO invite_history (code, user_id)
    SELECT r.code, CAST(substr(u.platform_user_id, instr(u.platform_user_id, '>') + 1) AS INTEGER)
    FROM invite_redemptions r JOIN users u ON u.id = r.user_id
    WHERE u.platform = 'merged';
