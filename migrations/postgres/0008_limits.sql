-- Per-person limits (src/domain/limits.rs) count her recent join requests, urgent reports and
-- charts or exports over the rows those leave: these indexes keep the counting to her own rows.
-- Kept in step with ../sqlite/0008_limits.sql.

CREATE INDEX join_requests_user ON join_requests(user_id, created_at);
CREATE INDEX urgent_reports_reporter ON urgent_reports(reporter_id, created_at);
-- Partial: the outbox holds every message, the files are a few of them.
CREATE INDEX outbox_files_by_user ON outbox(user_id, created_at) WHERE kind = 'made';
