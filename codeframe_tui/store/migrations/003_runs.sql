-- Each run of the engine: when and by which process it started, and how it ended. A row with no
-- end was killed (kill -9, a power cut); the next start marks it so and offers to resume.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT CHECK (outcome IN ('finished', 'stopped', 'killed'))
);

CREATE INDEX idx_runs_project ON runs (project_id, id);
