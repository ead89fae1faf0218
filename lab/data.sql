-- Realistic volume: 50 users, 240 agents, 2,400 tasks and about 600,000
-- results over the last 30 days. Every active task has a result in the
-- last 15 minutes, so a healthy lab has no stale tasks.
SELECT setseed(0.42);

INSERT INTO users (id, username, email, created_at)
SELECT 'user' || i, 'operator' || i, 'operator' || i || '@example.net', now() - (i || ' days')::interval
FROM generate_series(1, 50) AS i;
UPDATE users SET id = 'user123', username = 'user123' WHERE id = 'user1';

INSERT INTO agents (name, status, location, ip_address, last_heartbeat, created_at)
SELECT 'agent-' || lpad(i::text, 3, '0'),
       CASE WHEN i % 12 = 0 THEN 'offline' WHEN i % 25 = 0 THEN 'maintenance' ELSE 'online' END,
       (ARRAY['beijing', 'shanghai', 'guangzhou', 'shenzhen', 'chengdu', 'hangzhou', 'wuhan', 'xian',
              'singapore', 'tokyo', 'frankfurt', 'virginia'])[1 + i % 12],
       ('198.51.100.' || (i % 250 + 1))::inet,
       now() - ((i % 7) || ' seconds')::interval,
       now() - '90 days'::interval
FROM generate_series(1, 240) AS i;

INSERT INTO tasks (user_id, name, type, target, status, interval_seconds, agent_id, created_at)
SELECT CASE WHEN i % 50 = 0 THEN 'user123' ELSE 'user' || (2 + i % 49) END,
       'probe-' || i,
       (ARRAY['ping', 'http', 'tcp', 'dns'])[1 + i % 4],
       'target-' || i || '.example.net',
       CASE WHEN i % 10 < 7 THEN 'active' WHEN i % 10 < 9 THEN 'paused' ELSE 'completed' END,
       (ARRAY[60, 300, 600])[1 + i % 3],
       1 + i % 240,
       now() - '31 days'::interval
FROM generate_series(1, 2400) AS i;

-- 250 results a task, spread over 30 days and ending 20 minutes ago.
INSERT INTO task_results (task_id, agent_id, execution_time, status, duration)
SELECT t.id, t.agent_id,
       now() - interval '20 minutes' - (n * interval '172 minutes') - (t.id % 60) * interval '1 second',
       CASE WHEN random() < 0.03 THEN 'error' WHEN random() < 0.01 THEN 'timeout' ELSE 'success' END,
       round((5 + random() * 250)::numeric, 2)
FROM tasks t, generate_series(0, 249) AS n;

-- The latest round: every active task has a result in the last 15 minutes.
INSERT INTO task_results (task_id, agent_id, execution_time, status, duration)
SELECT id, agent_id, now() - (id % 900) * interval '1 second', 'success', round((5 + random() * 100)::numeric, 2)
FROM tasks WHERE status = 'active';

ANALYZE;
