-- A chained test script's steps (lint, types, each runner) as JSON: label, kind, status, counts,
-- package and first problems. '[]' for a run of one command (pytest, a configured command).
ALTER TABLE test_runs ADD COLUMN steps TEXT NOT NULL DEFAULT '[]';
