-- The human in the loop: a `review` task status, richer blockers, each task's file changes and the
-- person's review decisions.
-- SQLite cannot change a CHECK constraint in place, so tasks is rebuilt (the runner turns foreign
-- keys off around migrations, so dropping the old table cascades nothing).
CREATE TABLE tasks_new (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    issue_id INTEGER REFERENCES issues(id) ON DELETE SET NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    agent_type TEXT NOT NULL CHECK (agent_type IN ('backend', 'frontend', 'test')),
    status TEXT NOT NULL CHECK (status IN
        ('proposed', 'approved', 'running', 'review', 'done', 'failed', 'blocked', 'rejected', 'cancelled')),
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

-- Who asked (an agent, or the engine itself), whether y/n answers it, and an ASYNC blocker's
-- stated assumption.
ALTER TABLE blockers ADD COLUMN agent_id TEXT;

ALTER TABLE blockers ADD COLUMN source TEXT NOT NULL DEFAULT 'engine';

ALTER TABLE blockers ADD COLUMN yes_no INTEGER NOT NULL DEFAULT 0;

ALTER TABLE blockers ADD COLUMN assumption TEXT NOT NULL DEFAULT '';

CREATE INDEX idx_blockers_status ON blockers (status, id);

-- Per task and file: the bytes before the task first touched it and after its latest write
-- (NULL = absent). The review diff is built from these, whoever else shares the working tree.
CREATE TABLE task_changes (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    before BLOB,
    after BLOB,
    before_mode INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (task_id, path)
);

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected', 'discarded')),
    feedback TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE INDEX idx_reviews_task ON reviews (task_id, id)
