-- The first schema: projects, issues, tasks and their dependency edges, agents, test runs,
-- correction attempts, blockers, model calls and the event log.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    root TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (project_id, key)
);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    issue_id INTEGER REFERENCES issues(id) ON DELETE SET NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    agent_type TEXT NOT NULL CHECK (agent_type IN ('backend', 'frontend', 'test')),
    status TEXT NOT NULL CHECK (status IN
        ('proposed', 'approved', 'running', 'done', 'failed', 'blocked', 'rejected', 'cancelled')),
    priority TEXT NOT NULL DEFAULT 'medium',
    acceptance TEXT NOT NULL DEFAULT '',
    test_strategy TEXT NOT NULL DEFAULT '',
    files TEXT NOT NULL DEFAULT '[]',
    retries INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0),
    reason TEXT NOT NULL DEFAULT '',
    agent_id TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, key)
);

CREATE TABLE task_dependencies (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, depends_on_id),
    CHECK (task_id != depends_on_id)
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    agent_type TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'idle',
    task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    step TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

CREATE TABLE test_runs (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'error', 'timeout', 'no_tests')),
    total INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    duration REAL NOT NULL,
    exit_code INTEGER,
    command TEXT NOT NULL,
    output TEXT NOT NULL,
    failing_tests TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);

CREATE TABLE correction_attempts (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    attempt_number INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('started', 'success', 'failed')),
    failure TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    finished_at TEXT
);

CREATE TABLE blockers (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'sync' CHECK (kind IN ('sync', 'async')),
    question TEXT NOT NULL,
    answer TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'expired')),
    created_at TEXT NOT NULL,
    resolved_at TEXT
);

CREATE TABLE model_calls (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    agent_id TEXT,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    latency REAL NOT NULL,
    stop_reason TEXT NOT NULL DEFAULT '',
    prompt_summary TEXT NOT NULL DEFAULT '',
    answer_summary TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

-- The event log is ordered by its autoincrement id, never by a timestamp.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    task_key TEXT,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX idx_tasks_project_status ON tasks (project_id, status);
CREATE INDEX idx_test_runs_task ON test_runs (task_id, id);
CREATE INDEX idx_attempts_task ON correction_attempts (task_id, id);
CREATE INDEX idx_blockers_task ON blockers (task_id, status);
CREATE INDEX idx_model_calls_task ON model_calls (task_id);
