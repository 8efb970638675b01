-- The merge queue: a `landing` task status (checks passed, waiting for its batch to land, holding no
-- agent slot). SQLite cannot change a CHECK constraint in place, so tasks is rebuilt as in 002 (the
-- runner turns foreign keys off around migrations, so dropping the old table cascades nothing).
CREATE TABLE tasks_new (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    issue_id INTEGER REFERENCES issues(id) ON DELETE SET NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    agent_type TEXT NOT NULL CHECK (agent_type IN ('backend', 'frontend', 'test')),
    status TEXT NOT NULL CHECK (status IN
        ('proposed', 'approved', 'running', 'review', 'landing', 'done', 'failed', 'blocked', 'rejected',
         'cancelled')),
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

INSERT INTO tasks_new (id, project_id, issue_id, key, title, description, agent_type, status, priority,
    acceptance, test_strategy, files, retries, reason, agent_id, extra, created_at, updated_at)
SELECT id, project_id, issue_id, key, title, description, agent_type, status, priority,
    acceptance, test_strategy, files, retries, reason, agent_id, extra, created_at, updated_at
FROM tasks;

DROP TABLE tasks;

ALTER TABLE tasks_new RENAME TO tasks;

CREATE INDEX idx_tasks_project_status ON tasks (project_id, status);
