-- The network_probe schema, as the guide's SQL implies it.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

CREATE TABLE users (
    id          text PRIMARY KEY,              -- the guide filters on 'user123'
    username    text NOT NULL UNIQUE,
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id              serial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    status          text NOT NULL CHECK (status IN ('online', 'offline', 'maintenance')),
    location        text NOT NULL,
    ip_address      inet,
    last_heartbeat  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id                serial PRIMARY KEY,
    user_id           text NOT NULL REFERENCES users (id),
    name              text NOT NULL,
    type              text NOT NULL CHECK (type IN ('ping', 'http', 'tcp', 'dns')),
    target            text NOT NULL,
    status            text NOT NULL CHECK (status IN ('active', 'paused', 'completed', 'failed')),
    interval_seconds  integer NOT NULL DEFAULT 300,
    agent_id          integer REFERENCES agents (id),
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- No unique key on (task_id, execution_time): the guide's data section
-- looks for duplicates there, so they must be possible.
CREATE TABLE task_results (
    id              bigserial PRIMARY KEY,
    task_id         integer NOT NULL REFERENCES tasks (id),
    agent_id        integer REFERENCES agents (id),
    execution_time  timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('success', 'error', 'timeout')),
    duration        double precision,         -- milliseconds
    result          jsonb
);
