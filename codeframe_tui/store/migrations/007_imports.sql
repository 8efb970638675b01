-- Each plan import, with what it could not read with confidence (its warnings, JSON) and the
-- checklists it kept as acceptance notes: plan review shows them, and the skipped lines can be added.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    acceptance TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
