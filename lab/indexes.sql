-- The guide's indexes (索引优化), as PostgreSQL 15 accepts them.
-- Two differ from the guide's text: an index predicate or expression must be
-- immutable, and `CURRENT_DATE - INTERVAL '30 days'` and `DATE(timestamptz)`
-- are not, so the first is a plain index and the second fixes the time zone.
CREATE INDEX IF NOT EXISTS idx_task_results_task_id_time ON task_results (task_id, execution_time DESC);
CREATE INDEX IF NOT EXISTS idx_task_results_execution_time ON task_results (execution_time);
CREATE INDEX IF NOT EXISTS idx_tasks_user_status ON tasks (user_id, status) WHERE status IN ('active', 'paused');
CREATE INDEX IF NOT EXISTS idx_agents_status_location ON agents (status, location) WHERE status = 'online';
CREATE INDEX IF NOT EXISTS idx_task_results_failed ON task_results (task_id, execution_time) WHERE status = 'error';
CREATE INDEX IF NOT EXISTS idx_task_results_date ON task_results (((execution_time AT TIME ZONE 'UTC')::date));
