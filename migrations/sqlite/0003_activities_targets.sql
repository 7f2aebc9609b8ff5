-- Activities, their catalogue, the plan's targets (chỉ tiêu) as data, unit statistics entered by
-- admins, and ancestor columns for set-based rollups.
-- Kept in step with ../postgres/0003_activities_targets.sql.

-- a0..a4: the unit's ancestor at depth 0..4 (itself at its own depth, NULL below it), so that
-- "everything under X, grouped by X's children" is one indexed GROUP BY.
ALTER TABLE units ADD COLUMN a0 INTEGER;
ALTER TABLE units ADD COLUMN a1 INTEGER;
ALTER TABLE units ADD COLUMN a2 INTEGER;
ALTER TABLE units ADD COLUMN a3 INTEGER;
ALTER TABLE units ADD COLUMN a4 INTEGER;
CREATE INDEX units_a0 ON units(a0, level);
CREATE INDEX units_a1 ON units(a1, level);
CREATE INDEX units_a2 ON units(a2, level);
CREATE INDEX units_a3 ON units(a3, level);
CREATE INDEX units_a4 ON units(a4, level);

-- The catalogue of activity types. A province adds types with `chihoi catalog import`.
CREATE TABLE activity_types (
    code        TEXT PRIMARY KEY,
    grp         TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    -- what the number means: participants, households or count
    measure     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE activities (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    -- the grassroots union above (or at) the unit, for per-union targets
    grassroots_id  INTEGER REFERENCES units(id),
    type_code      TEXT NOT NULL REFERENCES activity_types(code),
    happened_on    TEXT NOT NULL,
    year           INTEGER NOT NULL,
    period         TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    description    TEXT,
    author_id      INTEGER NOT NULL REFERENCES users(id),
    created_at     INTEGER NOT NULL
);
CREATE INDEX activities_unit_year ON activities(unit_id, year, type_code);
CREATE INDEX activities_grassroots_year ON activities(grassroots_id, year, type_code);
CREATE INDEX activities_period ON activities(period);

CREATE TABLE activity_photos (
    id           INTEGER PRIMARY KEY,
    activity_id  INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    platform     TEXT NOT NULL,
    file_id      TEXT NOT NULL,
    size_bytes   INTEGER
);
CREATE INDEX activity_photos_activity ON activity_photos(activity_id);

-- The plan's targets as data: which units they apply to, the goal, and how they are computed
-- (`rule` names a computation, `params` its JSON parameters; see src/views.rs).
CREATE TABLE targets (
    code        TEXT PRIMARY KEY,
    number      INTEGER NOT NULL,
    level       TEXT NOT NULL,
    goal_pct    INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    params      TEXT NOT NULL,
    title_vi    TEXT NOT NULL,
    title_en    TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
);

-- Figures admins enter per grassroots union and year (women aged 18+, members).
CREATE TABLE unit_stats (
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    year          INTEGER NOT NULL,
    women_18plus  INTEGER NOT NULL,
    members       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (unit_id, year)
);

-- The catalogue of DOMAIN.md (plan §II, §III.1, §III.3–5).
INSERT INTO activity_types (code, grp, name_vi, name_en, measure, position) VALUES
('movement_new_woman', 'movement', 'Phong trào “Xây dựng người phụ nữ Việt Nam thời đại mới”', 'Movement “Vietnamese women of the new era”', 'participants', 10),
('campaign_5k3s', 'movement', 'Cuộc vận động “Xây dựng gia đình 5 không, 3 sạch”', 'Campaign “5 no, 3 clean families”', 'participants', 11),
('campaign_5c3s', 'movement', 'Cuộc vận động “Gia đình 5 có, 3 sạch”', 'Campaign “5 have, 3 clean families”', 'participants', 12),
('digital_movement', 'movement', 'Thi đua tham gia chuyển đổi số', 'Digital transformation emulation', 'participants', 13),
('new_rural_campaign', 'movement', 'Cuộc vận động “Cả nước chung sức xây dựng nông thôn mới”', 'Campaign “The nation builds new rural areas”', 'participants', 14),
('civilized_urban_campaign', 'movement', 'Cuộc vận động “Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh”', 'Campaign “Civilised urban areas”', 'participants', 15),
('households_5k3s', 'households', 'Giúp hộ đạt tiêu chí 5 không, 3 sạch', 'Households helped to 5 no, 3 clean', 'households', 20),
('households_5c3s', 'households', 'Giúp hộ đạt tiêu chí 5 có, 3 sạch', 'Households helped to 5 have, 3 clean', 'households', 21),
('new_rural_work', 'rural', 'Công trình, phần việc nông thôn mới, đô thị văn minh', 'Work or task for new-rural / civilised-urban programmes', 'count', 30),
('ntp_proposal', 'rural', 'Đề xuất nhận nhiệm vụ trong chương trình mục tiêu quốc gia', 'Proposal to take a task in a national target programme', 'count', 31),
('policy_supervision', 'oversight', 'Giám sát thực hiện chính sách', 'Supervision of a policy', 'count', 40),
('draft_comment', 'oversight', 'Góp ý dự thảo văn bản', 'Comments on a draft document', 'count', 41),
('dialogue', 'oversight', 'Đối thoại với lãnh đạo', 'Dialogue with leaders', 'participants', 42),
('model_1plus1', 'model', 'Mô hình “1+1”', 'Model “1+1”', 'participants', 50),
('model_3co3biet', 'model', 'Mô hình “3 có, 3 biết”', 'Model “3 have, 3 know”', 'participants', 51),
('model_cadres_progress', 'model', 'Mô hình “Cán bộ chi, tổ cùng tiến”', 'Model “Branch and group officers progress together”', 'participants', 52),
('model_overcome', 'model', 'Mô hình “Chi, tổ phụ nữ đồng hành vượt khó”', 'Model “Branches and groups overcome hardship together”', 'participants', 53),
('model_special_group', 'model', 'Mô hình thu hút nhóm đặc thù (cao tuổi, trẻ, tôn giáo, công nhân)', 'Model for special groups (elderly, young, religious, workers)', 'participants', 54),
('club_health_culture', 'model', 'Câu lạc bộ sức khỏe, văn hóa, thể thao', 'Health, culture or sport club', 'participants', 55),
('branch_meeting', 'meeting', 'Sinh hoạt chi, tổ hội', 'Branch or group meeting', 'participants', 60),
('policy_education', 'meeting', 'Tuyên truyền chủ trương, chính sách', 'Education on Party and State policy', 'participants', 61),
('digital_team', 'digital', 'Tổ Công nghệ số cộng đồng', 'Community digital-technology team', 'participants', 70),
('honorary_members', 'members', 'Kết nạp hội viên danh dự', 'Honorary members recruited', 'count', 80);

-- The nine targets of plan §II. `params.all` lists conditions that must all hold; each names
-- activity types (any of them counts), the minimum, and whether it counts activities or sums
-- their number; `scope` is the year or ever.
INSERT INTO targets (code, number, level, goal_pct, rule, params, title_vi, title_en) VALUES
('t1', 1, 'grassroots', 100, 'activities', '{"scope":"year","all":[{"any":["movement_new_woman"]},{"any":["campaign_5k3s","campaign_5c3s"]},{"any":["digital_movement"]}]}',
 'Triển khai phong trào, cuộc vận động 5K3S/5C3S và thi đua chuyển đổi số', 'Run the movement, the 5K3S/5C3S campaign and digital transformation'),
('t2', 2, 'grassroots', 100, 'monthly_reports', '{}',
 'Báo cáo dư luận xã hội hằng tháng', 'Monthly public-opinion reports'),
('t3', 3, 'grassroots', 100, 'activities', '{"scope":"year","all":[{"any":["club_health_culture","policy_education"]}]}',
 'Duy trì ít nhất 1 hình thức sinh hoạt thường xuyên, tuyên truyền chính sách', 'At least one regular activity; policy education'),
('t4a', 4, 'branch', 100, 'activities', '{"scope":"year","measure":"amount","all":[{"any":["households_5k3s","households_5c3s"],"min":2}]}',
 'Mỗi chi hội giúp 2 hộ đạt tiêu chí 5K3S / 5C3S', 'Each branch helps 2 households to 5K3S / 5C3S'),
('t4b', 4, 'grassroots', 100, 'activities', '{"scope":"year","all":[{"any":["new_rural_work"]}]}',
 'Mỗi cơ sở đăng ký 1 công trình, phần việc nông thôn mới', 'Each union registers one new-rural work or task'),
('t5', 5, 'branch', 90, 'uses_bot', '{}',
 'Chi hội ứng dụng công nghệ thông tin (dùng bot trong năm)', 'Branches use IT (used the bot this year)'),
('t6', 6, 'grassroots', 100, 'activities', '{"scope":"year","all":[{"any":["ntp_proposal"]}]}',
 'Đề xuất nhận nhiệm vụ trong chương trình mục tiêu quốc gia', 'Propose tasks in national target programmes'),
('t7', 7, 'grassroots', 100, 'activities', '{"scope":"year","all":[{"any":["policy_supervision"]},{"any":["draft_comment"]}]}',
 'Giám sát ít nhất 1 chính sách và góp ý ít nhất 1 dự thảo', 'Supervise at least one policy and comment on one draft'),
('t8', 8, 'grassroots', 100, 'activities', '{"scope":"ever","all":[{"any":["model_1plus1"]},{"any":["model_3co3biet"]},{"any":["model_cadres_progress"]},{"any":["model_overcome"]},{"any":["model_special_group"],"min":2}]}',
 'Có các mô hình “1+1”, “3 có, 3 biết”, “Cán bộ chi, tổ cùng tiến”, “Chi, tổ đồng hành vượt khó” và ≥ 2 mô hình nhóm đặc thù', 'Has the four named models and at least two special-group models'),
('t9a', 9, 'grassroots', 100, 'activities', '{"scope":"ever","measure":"amount","all":[{"any":["honorary_members"]}]}',
 'Có hội viên danh dự', 'Has honorary members'),
('t9b', 9, 'grassroots', 100, 'member_ratio', '{"min_pct":65}',
 'Tập hợp ≥ 65% phụ nữ từ 18 tuổi làm hội viên', 'At least 65% of women aged 18+ are members');
